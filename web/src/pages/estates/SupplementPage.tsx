// 房屋补充: an estate and the 交存时点 of the new houses; 保存 makes the draft 业务单, where the
// houses are imported (模板下载, 导入) and the application submitted.
import { useEffect } from 'react';
import { App, Button, Form, Select, Space, Spin, Typography } from 'antd';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../../graphql';
import { ApplicationQuery, SupplementMutation } from './applications.gql';
import { EstateSelect } from '../../components/EstateSelect';
import { useShowError } from '../../components/useShowError';
import { depositTiming, options } from '../../labels';
import { ReturnedNotice } from '../../components/ReturnedNotice';

const UpdateSupplement = graphql(`
  mutation UpdateSupplement($id: ID!, $input: HouseSupplementInput!) {
    updateHouseSupplement(id: $id, input: $input) { id number status }
  }
`);

export function SupplementPage() {
  const [params] = useSearchParams();
  const id = params.get('id');
  const [form] = Form.useForm();
  const navigate = useNavigate();
  const showError = useShowError();
  const { message } = App.useApp();
  const [existing] = useQuery({ query: ApplicationQuery, variables: { id: id ?? '' }, pause: !id });
  const [cs, create] = useMutation(SupplementMutation);
  const [us, update] = useMutation(UpdateSupplement);
  const app = existing.data?.application;
  useEffect(() => {
    if (app?.estate) form.setFieldsValue({ estateId: app.estate.id });
  }, [app, form]);
  if (id && existing.fetching && !app) return <Spin />;
  return (
    <>
      <Typography.Title level={4}>房屋补充{app ? `（修改 ${app.number}）` : ''}</Typography.Title>
      <ReturnedNotice app={app} />
      <Form
        form={form}
        layout="horizontal"
        labelCol={{ flex: '120px' }}
        style={{ maxWidth: 600 }}
        initialValues={{ depositTiming: 'BEFORE_CONTRACT_FILING', estateId: params.get('estate') ?? undefined }}
        onFinish={async (v) => {
          const input = { estateId: v.estateId, depositTiming: v.depositTiming };
          const r = id ? await update({ id, input }) : await create({ input });
          if (r.error) return showError(r.error, form);
          const saved = Object.values(r.data ?? {})[0] as { id: string };
          message.success('已保存，请导入补充的房屋后提交');
          navigate(`/applications/${saved.id}`);
        }}
      >
        <Form.Item label="物业区域" name="estateId" rules={[{ required: true, message: '请选择物业区域' }]}>
          <EstateSelect disabled={!!app} />
        </Form.Item>
        <Form.Item label="交存时点" name="depositTiming" rules={[{ required: true }]}>
          <Select options={options(depositTiming)} />
        </Form.Item>
        <Form.Item label=" " colon={false}>
          <Space>
            <Button type="primary" htmlType="submit" loading={cs.fetching || us.fetching}>保存</Button>
          </Space>
        </Form.Item>
      </Form>
    </>
  );
}
