// 修改密码: the old password, the new one twice.
import { App, Button, Form, Input, Typography } from 'antd';
import { useMutation } from 'urql';
import { ChangePasswordMutation } from './org.gql';
import { useShowError } from '../../components/useShowError';

export function PasswordPage() {
  const [form] = Form.useForm();
  const [state, change] = useMutation(ChangePasswordMutation);
  const showError = useShowError();
  const { message } = App.useApp();
  return (
    <>
      <Typography.Title level={4}>修改密码</Typography.Title>
      <Form
        form={form}
        layout="vertical"
        style={{ maxWidth: 400 }}
        onFinish={async (v) => {
          const r = await change({ oldPassword: v.oldPassword, newPassword: v.newPassword });
          if (r.error) return showError(r.error, form);
          form.resetFields();
          message.success('密码已修改');
        }}
      >
        <Form.Item label="原密码" name="oldPassword" rules={[{ required: true, message: '请输入原密码' }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item
          label="新密码"
          name="newPassword"
          rules={[
            { required: true, message: '请输入新密码' },
            { min: 8, message: '新密码至少 8 位' },
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          label="确认新密码"
          name="confirm"
          dependencies={['newPassword']}
          rules={[
            { required: true, message: '请再次输入新密码' },
            ({ getFieldValue }) => ({
              validator: (_, v) => (!v || v === getFieldValue('newPassword') ? Promise.resolve() : Promise.reject(new Error('两次输入的新密码不一致'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={state.fetching}>确定</Button>
      </Form>
    </>
  );
}
