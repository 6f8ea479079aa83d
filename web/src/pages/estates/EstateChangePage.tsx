// 物业区域变更: the estate's 坐落 and 备注, which change without review (updateEstate).
import { useEffect } from 'react';
import { Alert, App, Button, Form, Input, Space, Typography } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { EstateQuery } from './estates.gql';
import { UpdateEstateMutation } from './applications.gql';
import { EstateSelect } from '../../components/EstateSelect';
import { useShowError } from '../../components/useShowError';

export function EstateChangePage() {
  const [params, setParams] = useSearchParams();
  const estateId = params.get('estate');
  const [form] = Form.useForm();
  const showError = useShowError();
  const { message } = App.useApp();
  const [{ data }] = useQuery({ query: EstateQuery, variables: { id: estateId ?? '' }, pause: !estateId });
  const [state, update] = useMutation(UpdateEstateMutation);
  const e = data?.estate;
  useEffect(() => {
    if (e) form.setFieldsValue({ address: e.address, remark: e.remark ?? '' });
  }, [e, form]);
  return (
    <>
      <Typography.Title level={4}>物业区域变更</Typography.Title>
      <Space style={{ marginBottom: 12 }} align="center">
        <label htmlFor="estate">物业区域</label>
        <EstateSelect id="estate" value={estateId ?? undefined} onChange={(v) => setParams({ estate: v })} />
      </Space>
      {!estateId && <Alert type="info" showIcon message="请选择要变更的物业区域。名称、行政区域等需变更时请联系维修资金管理部门；楼幢与房屋的变更在对应菜单办理。" />}
      {e && (
        <Form
          form={form}
          layout="horizontal"
          labelCol={{ flex: '120px' }}
          style={{ maxWidth: 720 }}
          onFinish={async (v) => {
            const r = await update({ id: e.id, input: { address: v.address.trim(), remark: v.remark?.trim() ?? '' } });
            if (r.error) return showError(r.error, form);
            message.success('物业区域信息已变更');
          }}
        >
          <Form.Item label="物业区域名称"><Input value={e.name} disabled /></Form.Item>
          <Form.Item label="物业区域编号"><Input value={e.code} disabled /></Form.Item>
          <Form.Item label="坐落" name="address" rules={[{ required: true, whitespace: true, message: '请填写坐落' }, { max: 300 }]}>
            <Input maxLength={300} />
          </Form.Item>
          <Form.Item label="备注" name="remark" rules={[{ max: 1000 }]}>
            <Input.TextArea rows={3} maxLength={1000} />
          </Form.Item>
          <Form.Item label=" " colon={false}>
            <Button type="primary" htmlType="submit" loading={state.fetching}>保存</Button>
          </Form.Item>
        </Form>
      )}
    </>
  );
}
