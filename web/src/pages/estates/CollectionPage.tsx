// 物业区域采集: the estate's particulars; 保存 makes the draft 业务单, where the houses are
// imported and the application is submitted. With ?id= it edits a draft or 退回 one.
import { useEffect } from 'react';
import { Alert, App, Button, Form, Input, Select, Space, Spin, Typography } from 'antd';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { ApplicationQuery, CreateCollectionMutation, UpdateCollectionMutation } from './applications.gql';
import { BanksQuery } from './estates.gql';
import { useShowError } from '../../components/useShowError';
import { depositTiming, options } from '../../labels';
import { errorText } from '../../errors';
import { ReturnedNotice } from '../../components/ReturnedNotice';

export const DISTRICTS = ['蓬江区', '江海区', '新会区', '台山市', '开平市', '鹤山市', '恩平市'];

interface Values {
  name: string;
  district: string;
  address: string;
  remark?: string;
  depositTiming: string;
  bankId?: string;
}

export function CollectionPage() {
  const [params] = useSearchParams();
  const id = params.get('id');
  const [form] = Form.useForm<Values>();
  const navigate = useNavigate();
  const showError = useShowError();
  const { message } = App.useApp();
  const [banks] = useQuery({ query: BanksQuery });
  const [existing] = useQuery({ query: ApplicationQuery, variables: { id: id ?? '' }, pause: !id });
  const [createState, create] = useMutation(CreateCollectionMutation);
  const [updateState, update] = useMutation(UpdateCollectionMutation);
  const e = existing.data?.application?.estate;

  useEffect(() => {
    if (e) {
      form.setFieldsValue({
        name: e.name, district: e.district, address: e.address, remark: e.remark ?? undefined,
        depositTiming: e.depositTiming, bankId: e.bank.id,
      });
    }
  }, [e, form]);

  if (id && existing.fetching && !existing.data) return <Spin />;
  if (existing.error) return <Alert type="error" message={errorText(existing.error)} />;

  return (
    <>
      <Typography.Title level={4}>物业区域采集{id ? `（修改 ${existing.data?.application?.number ?? ''}）` : ''}</Typography.Title>
      <ReturnedNotice app={existing.data?.application} />
      <Form<Values>
        form={form}
        layout="horizontal"
        labelCol={{ flex: '120px' }}
        style={{ maxWidth: 720 }}
        initialValues={{ depositTiming: 'BEFORE_CONTRACT_FILING' }}
        onFinish={async (v) => {
          const input = {
            name: v.name.trim(), district: v.district, address: v.address.trim(), remark: v.remark?.trim() || null,
            depositTiming: v.depositTiming as 'BEFORE_CONTRACT_FILING', bankId: v.bankId ?? null,
          };
          const r = id ? await update({ id, input }) : await create({ input });
          if (r.error) return showError(r.error, form);
          const appId = r.data && ('createEstateCollection' in r.data ? r.data.createEstateCollection.id : r.data.updateEstateCollection.id);
          message.success('已保存，请导入房屋后提交');
          navigate(`/applications/${appId}`);
        }}
      >
        <Form.Item label="物业区域名称" name="name" rules={[{ required: true, whitespace: true, message: '请填写物业区域名称' }, { max: 100 }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item label="行政区域" name="district" rules={[{ required: true, message: '请选择行政区域' }]}>
          <Select showSearch options={DISTRICTS.map((d) => ({ value: d, label: d }))} placeholder="请选择" />
        </Form.Item>
        <Form.Item label="坐落" name="address" rules={[{ required: true, whitespace: true, message: '请填写坐落' }, { max: 300 }]}>
          <Input maxLength={300} />
        </Form.Item>
        <Form.Item label="交存时点" name="depositTiming" rules={[{ required: true }]}>
          <Select options={options(depositTiming)} />
        </Form.Item>
        <Form.Item label="专户银行" name="bankId">
          <Select
            allowClear
            placeholder="默认为编号最小的银行"
            loading={banks.fetching}
            options={banks.data?.banks.map((b) => ({ value: b.id, label: b.name })) ?? []}
          />
        </Form.Item>
        <Form.Item label="备注" name="remark" rules={[{ max: 1000 }]}>
          <Input.TextArea rows={3} maxLength={1000} />
        </Form.Item>
        <Form.Item label=" " colon={false}>
          <Space>
            <Button type="primary" htmlType="submit" loading={createState.fetching || updateState.fetching}>保存</Button>
            <Button onClick={() => navigate(-1)}>返回</Button>
          </Space>
        </Form.Item>
      </Form>
    </>
  );
}
