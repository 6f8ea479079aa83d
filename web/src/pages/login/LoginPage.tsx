import { Button, Card, Form, Input, Typography } from 'antd';
import { Link, useNavigate } from 'react-router-dom';
import { useMutation } from 'urql';
import { LoginMutation } from './login.gql';
import { setToken } from '../../auth';
import { resetSocket } from '../../client';
import { useShowError } from '../../components/useShowError';

export function LoginPage() {
  const [form] = Form.useForm();
  const [state, login] = useMutation(LoginMutation);
  const showError = useShowError();
  const navigate = useNavigate();
  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5' }}>
      <Card style={{ width: 380 }}>
        <Typography.Title level={3} style={{ textAlign: 'center' }}>维修资金 开发建设单位门户</Typography.Title>
        <Form
          form={form}
          layout="vertical"
          onFinish={async (v) => {
            const r = await login({ username: v.username.trim(), password: v.password });
            if (r.error) return showError(r.error, form);
            resetSocket();
            setToken(r.data!.login.token);
            navigate('/estates');
          }}
        >
          <Form.Item label="用户名" name="username" rules={[{ required: true, whitespace: true, message: '请输入用户名' }]}>
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item label="密码" name="password" rules={[{ required: true, message: '请输入密码' }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={state.fetching}>登录</Button>
        </Form>
        <div style={{ marginTop: 16, textAlign: 'center' }}>
          还没有账号？<Link to="/register">注册</Link>
        </div>
      </Card>
    </div>
  );
}
