// 信息变更: the organisation's particulars (the credit code is fixed) and its 要件.
import { useEffect } from 'react';
import { Alert, App, Button, Descriptions, Form, Input, Spin, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery } from 'urql';
import { OrgQuery, UpdateOrgMutation } from './org.gql';
import { useShowError } from '../../components/useShowError';
import { errorText } from '../../errors';
import { registrationFileKind } from '../../labels';

const FIELDS = [
  ['name', '机构名称', 200],
  ['legalRepresentative', '法定代表人', 50],
  ['contactName', '联系人', 50],
  ['contactPhone', '联系电话', 11],
  ['address', '地址', 300],
] as const;

export function OrgInfoPage() {
  const [{ data, fetching, error }] = useQuery({ query: OrgQuery });
  const [state, update] = useMutation(UpdateOrgMutation);
  const [form] = Form.useForm();
  const showError = useShowError();
  const { message } = App.useApp();
  const org = data?.me?.organization;
  const admin = data?.me?.roles.includes('ORG_ADMIN');
  useEffect(() => {
    if (org) form.setFieldsValue(org);
  }, [org, form]);
  if (error) return <Alert type="error" message={errorText(error)} />;
  if (fetching && !org) return <Spin />;
  if (!org) return <Alert type="warning" message="当前用户不属于开发建设单位" />;
  return (
    <>
      <Typography.Title level={4}>信息变更</Typography.Title>
      <Descriptions size="small" bordered column={2} style={{ marginBottom: 16, maxWidth: 900 }}>
        <Descriptions.Item label="统一社会信用代码">{org.creditCode}</Descriptions.Item>
        <Descriptions.Item label="要件核验">{org.materialsVerified ? <Tag color="green">已核验</Tag> : <Tag color="gold">待核验</Tag>}</Descriptions.Item>
        <Descriptions.Item label="注册时间">{org.createdAt.slice(0, 10)}</Descriptions.Item>
        <Descriptions.Item label="注册协议版本">{org.agreementVersion}</Descriptions.Item>
        <Descriptions.Item label="要件" span={2}>
          {org.attachments.map((d) => (
            <div key={d.id}>
              {registrationFileKind[d.registrationKind ?? 'OTHER']}：<a href={d.url} target="_blank" rel="noreferrer">{d.filename}</a>
            </div>
          ))}
        </Descriptions.Item>
      </Descriptions>
      {!admin && <Alert type="info" showIcon style={{ marginBottom: 12 }} message="只有机构管理员可以变更机构信息" />}
      <Form
        form={form}
        layout="horizontal"
        labelCol={{ flex: '120px' }}
        style={{ maxWidth: 720 }}
        disabled={!admin}
        onFinish={async (v) => {
          const input = Object.fromEntries(FIELDS.map(([f]) => [f, String(v[f] ?? '').trim()]));
          const r = await update({ input });
          if (r.error) return showError(r.error, form);
          message.success('机构信息已变更');
        }}
      >
        {FIELDS.map(([f, label, max]) => (
          <Form.Item
            key={f}
            label={label}
            name={f}
            rules={[
              { required: true, whitespace: true, message: `请填写${label}` },
              ...(f === 'contactPhone' ? [{ pattern: /^1\d{10}$/, message: '请填写 11 位手机号码' }] : [{ max }]),
            ]}
          >
            <Input maxLength={max} />
          </Form.Item>
        ))}
        <Form.Item label=" " colon={false}>
          <Button type="primary" htmlType="submit" loading={state.fetching}>保存</Button>
        </Form.Item>
      </Form>
      <Typography.Title level={5} style={{ marginTop: 24 }}>变更记录</Typography.Title>
      <Table
        size="small"
        style={{ maxWidth: 900 }}
        rowKey={(r) => r.at}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        dataSource={org.history}
        locale={{ emptyText: '尚无变更' }}
        columns={[
          { title: '时间', dataIndex: 'at', width: 170, render: (at: string) => at.slice(0, 19).replace('T', ' ') },
          { title: '操作人', width: 120, render: (_, r) => r.by?.name ?? '—' },
          {
            title: '变更内容',
            render: (_, r) => r.changes.map((c) => (
              <div key={c.field}>
                {c.label}：{c.before ?? '（空）'} → {c.after ?? '（空）'}
              </div>
            )),
          },
        ]}
      />
    </>
  );
}
