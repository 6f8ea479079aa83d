// 机构用户管理: the organisation's users; 添加用户, 修改用户, 查看用户, 注销用户, 激活用户.
import { useState } from 'react';
import { Alert, App, Button, Checkbox, Descriptions, Form, Input, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery } from 'urql';
import { ActivateUserMutation, CreateUserMutation, DeactivateUserMutation, OrgQuery, UpdateUserMutation } from './org.gql';
import { useShowError } from '../../components/useShowError';
import { errorText } from '../../errors';
import { role, userStatus } from '../../labels';
import { whenValid } from '../../components/whenValid';

const ORG_ROLES = ['ORG_ADMIN', 'ESTATE_OPERATOR', 'PAYMENT_OPERATOR'] as const;
type OrgRole = (typeof ORG_ROLES)[number];

interface UserRow { id: string; username: string; name: string; phone?: string | null; status: string; roles: readonly string[] }

export function OrgUsersPage() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: OrgQuery });
  const [editing, setEditing] = useState<UserRow | 'new' | null>(null);
  const [viewing, setViewing] = useState<UserRow | null>(null);
  const [form] = Form.useForm();
  const [cs, create] = useMutation(CreateUserMutation);
  const [us, update] = useMutation(UpdateUserMutation);
  const [, deactivate] = useMutation(DeactivateUserMutation);
  const [, activate] = useMutation(ActivateUserMutation);
  const showError = useShowError();
  const { message } = App.useApp();
  const users = data?.me?.organization?.users ?? [];
  const admin = data?.me?.roles.includes('ORG_ADMIN');

  const open = (u: UserRow | 'new') => {
    form.resetFields();
    if (u !== 'new') form.setFieldsValue({ username: u.username, name: u.name, phone: u.phone ?? '', roles: [...u.roles] });
    else form.setFieldsValue({ roles: ['ESTATE_OPERATOR', 'PAYMENT_OPERATOR'] });
    setEditing(u);
  };

  return (
    <>
      <Typography.Title level={4}>机构用户管理</Typography.Title>
      {error && <Alert type="error" message={errorText(error)} />}
      {!admin && data && <Alert type="info" showIcon style={{ marginBottom: 12 }} message="只有机构管理员可以管理用户" />}
      <Button type="primary" disabled={!admin} onClick={() => open('new')} style={{ marginBottom: 12 }}>添加用户</Button>
      <Table<UserRow>
        size="middle"
        rowKey="id"
        loading={fetching && !data}
        dataSource={users as UserRow[]}
        pagination={false}
        columns={[
          { title: '用户名', dataIndex: 'username' },
          { title: '姓名', dataIndex: 'name' },
          { title: '电话', dataIndex: 'phone' },
          { title: '角色', render: (_, u) => u.roles.map((r) => <Tag key={r}>{role[r] ?? r}</Tag>) },
          { title: '状态', dataIndex: 'status', render: (v) => <Tag color={v === 'ACTIVE' ? 'green' : 'default'}>{userStatus[v]}</Tag> },
          {
            title: '操作',
            width: 260,
            render: (_, u) => (
              <Space>
                <Button size="small" onClick={() => setViewing(u)} aria-label={`查看用户 ${u.username}`}>查看用户</Button>
                <Button size="small" disabled={!admin} onClick={() => open(u)} aria-label={`修改用户 ${u.username}`}>修改用户</Button>
                {u.status === 'ACTIVE' ? (
                  <Popconfirm
                    title={`注销用户 ${u.name}？注销后该用户不能登录。`}
                    okText="注销"
                    cancelText="取消"
                    onConfirm={async () => {
                      const r = await deactivate({ id: u.id });
                      if (r.error) return showError(r.error);
                      message.success('已注销');
                    }}
                  >
                    <Button
                      size="small"
                      danger
                      disabled={!admin || u.id === data?.me?.id}
                      title={u.id === data?.me?.id ? '不能注销自己：请另一位机构管理员操作' : undefined}
                      aria-label={`注销用户 ${u.username}`}
                    >
                      注销用户
                    </Button>
                  </Popconfirm>
                ) : (
                  <Button
                    size="small"
                    disabled={!admin}
                    aria-label={`激活用户 ${u.username}`}
                    onClick={async () => {
                      const r = await activate({ id: u.id });
                      if (r.error) return showError(r.error);
                      message.success('已激活');
                    }}
                  >
                    激活用户
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={!!editing}
        title={editing === 'new' ? '添加用户' : '修改用户'}
        okText="保存"
        confirmLoading={cs.fetching || us.fetching}
        onCancel={() => setEditing(null)}
        onOk={() =>
          whenValid(form, async (v) => {
            const roles = v.roles as OrgRole[];
            const r =
              editing === 'new'
                ? await create({ input: { username: v.username.trim(), password: v.password, name: v.name.trim(), phone: v.phone?.trim() || null, roles } })
                : await update({ id: (editing as UserRow).id, input: { name: v.name.trim(), phone: v.phone?.trim() || null, roles, password: v.password || null } });
            if (r.error) return showError(r.error, form);
            message.success('已保存');
            setEditing(null);
            refetch({ requestPolicy: 'network-only' });
          })
        }
      >
        <Form form={form} layout="vertical">
          <Form.Item label="用户名" name="username" rules={[{ required: true, whitespace: true, message: '请填写用户名' }, { pattern: /^[A-Za-z0-9_.-]{3,50}$/, message: '用户名为 3 到 50 位字母、数字或 _ . -' }]}>
            <Input disabled={editing !== 'new'} autoComplete="off" />
          </Form.Item>
          <Form.Item label="姓名" name="name" rules={[{ required: true, whitespace: true, message: '请填写姓名' }]}>
            <Input maxLength={50} />
          </Form.Item>
          <Form.Item label="电话" name="phone" rules={[{ pattern: /^1\d{10}$/, message: '请填写 11 位手机号码' }]}>
            <Input maxLength={11} />
          </Form.Item>
          <Form.Item
            label={editing === 'new' ? '密码' : '重置密码（不填则不改）'}
            name="password"
            rules={[...(editing === 'new' ? [{ required: true, message: '请设置密码' }] : []), { min: 8, message: '密码至少 8 位' }]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item label="角色" name="roles" rules={[{ required: true, type: 'array', min: 1, message: '请至少选择一个角色' }]}>
            <Checkbox.Group options={ORG_ROLES.map((r) => ({ value: r, label: role[r] }))} />
          </Form.Item>
        </Form>
      </Modal>
      <Modal open={!!viewing} title="查看用户" footer={null} onCancel={() => setViewing(null)}>
        {viewing && (
          <Descriptions column={1} bordered size="small">
            <Descriptions.Item label="用户名">{viewing.username}</Descriptions.Item>
            <Descriptions.Item label="姓名">{viewing.name}</Descriptions.Item>
            <Descriptions.Item label="电话">{viewing.phone ?? ''}</Descriptions.Item>
            <Descriptions.Item label="角色">{viewing.roles.map((r) => role[r] ?? r).join('、')}</Descriptions.Item>
            <Descriptions.Item label="状态">{userStatus[viewing.status]}</Descriptions.Item>
          </Descriptions>
        )}
      </Modal>
    </>
  );
}
