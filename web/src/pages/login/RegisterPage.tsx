// 注册: the 机构注册协议 shown and accepted, the organisation and its admin, and the 要件
// (checked for type and size before upload). Registering logs the admin in.
import { useState } from 'react';
import { Alert, Button, Card, Checkbox, Col, Form, Input, Row, Space, Spin, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { Link, useNavigate } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { AgreementQuery, RegisterMutation } from './login.gql';
import { ATTACHMENT, checkFile } from '../../components/files';
import { useShowError } from '../../components/useShowError';
import { setToken } from '../../auth';
import { resetSocket } from '../../client';
import { errorText } from '../../errors';
import { registrationFileKind } from '../../labels';

const KINDS = ['BUSINESS_LICENCE', 'LEGAL_REPRESENTATIVE_ID', 'AUTHORIZATION_LETTER', 'OTHER'] as const;
type Kind = (typeof KINDS)[number];

/** 统一社会信用代码 (GB 32100-2015): 18 characters with a check character. */
export function creditCodeValid(code: string): boolean {
  const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code)) return false;
  const sum = weights.reduce((s, w, i) => s + chars.indexOf(code[i]) * w, 0);
  return chars[(31 - (sum % 31)) % 31] === code[17];
}

export default function RegisterPage() {
  const [form] = Form.useForm();
  const navigate = useNavigate();
  const showError = useShowError();
  const [agreement] = useQuery({ query: AgreementQuery });
  const [state, register] = useMutation(RegisterMutation);
  const [files, setFiles] = useState<Partial<Record<Kind, File>>>({});
  const [fileProblem, setFileProblem] = useState<Partial<Record<Kind, string>>>({});

  return (
    <div style={{ background: '#f0f2f5', minHeight: '100vh', padding: 24 }}>
      <Card style={{ maxWidth: 960, margin: '0 auto' }}>
        <Typography.Title level={3}>开发建设单位注册</Typography.Title>
        <Form
          form={form}
          layout="vertical"
          onFinish={async (v) => {
            if (!files.BUSINESS_LICENCE) {
              setFileProblem((p) => ({ ...p, BUSINESS_LICENCE: '请上传营业执照' }));
              return;
            }
            const input = {
              name: v.name.trim(), creditCode: v.creditCode.trim().toUpperCase(), legalRepresentative: v.legalRepresentative.trim(),
              contactName: v.contactName.trim(), contactPhone: v.contactPhone.trim(), address: v.address.trim(),
              adminUsername: v.adminUsername.trim(), adminPassword: v.adminPassword, adminName: v.adminName.trim(),
              agreementVersion: agreement.data!.registrationAgreement.version, agreementAccepted: !!v.agreementAccepted,
              attachments: KINDS.filter((k) => files[k]).map((k) => ({ kind: k, file: files[k]! })),
            };
            const r = await register({ input });
            if (r.error) return showError(r.error, form);
            resetSocket();
            setToken(r.data!.registerDeveloper.token);
            navigate('/estates');
          }}
        >
          <Typography.Title level={5}>机构注册协议</Typography.Title>
          {agreement.error && <Alert type="error" message={errorText(agreement.error)} />}
          {agreement.fetching && <Spin />}
          {agreement.data && (
            <div
              tabIndex={0}
              role="region"
              aria-label="机构注册协议"
              style={{ whiteSpace: 'pre-wrap', maxHeight: 200, overflow: 'auto', border: '1px solid #f0f0f0', padding: 12, marginBottom: 8, background: '#fafafa' }}
            >
              {agreement.data.registrationAgreement.text}
            </div>
          )}
          <Form.Item
            name="agreementAccepted"
            valuePropName="checked"
            rules={[{ validator: (_, v) => (v ? Promise.resolve() : Promise.reject(new Error('请阅读并同意机构注册协议'))) }]}
          >
            <Checkbox>我已阅读并同意《机构注册协议》</Checkbox>
          </Form.Item>

          <Typography.Title level={5}>机构信息</Typography.Title>
          <Row gutter={16}>
            <Col span={12}>
              <Form.Item label="机构名称" name="name" rules={[{ required: true, whitespace: true, message: '请填写机构名称' }]}>
                <Input maxLength={100} />
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item
                label="统一社会信用代码"
                name="creditCode"
                rules={[
                  { required: true, message: '请填写统一社会信用代码' },
                  { validator: (_, v) => (!v || creditCodeValid(String(v).trim().toUpperCase()) ? Promise.resolve() : Promise.reject(new Error('统一社会信用代码不正确'))) },
                ]}
              >
                <Input maxLength={18} />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item label="法定代表人" name="legalRepresentative" rules={[{ required: true, whitespace: true, message: '请填写法定代表人' }]}>
                <Input maxLength={50} />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item label="联系人" name="contactName" rules={[{ required: true, whitespace: true, message: '请填写联系人' }]}>
                <Input maxLength={50} />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item label="联系电话" name="contactPhone" rules={[{ required: true, message: '请填写联系电话' }, { pattern: /^1\d{10}$/, message: '请填写 11 位手机号码' }]}>
                <Input maxLength={11} inputMode="tel" />
              </Form.Item>
            </Col>
            <Col span={24}>
              <Form.Item label="地址" name="address" rules={[{ required: true, whitespace: true, message: '请填写地址' }]}>
                <Input maxLength={300} />
              </Form.Item>
            </Col>
          </Row>

          <Typography.Title level={5}>机构管理员</Typography.Title>
          <Row gutter={16}>
            <Col span={8}>
              <Form.Item label="管理员用户名" name="adminUsername" rules={[{ required: true, whitespace: true, message: '请填写用户名' }, { pattern: /^[A-Za-z0-9_.-]{3,50}$/, message: '用户名为 3 到 50 位字母、数字或 _ . -' }]}>
                <Input autoComplete="username" />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item label="管理员姓名" name="adminName" rules={[{ required: true, whitespace: true, message: '请填写姓名' }]}>
                <Input maxLength={50} />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item label="管理员密码" name="adminPassword" rules={[{ required: true, message: '请设置密码' }, { min: 8, message: '密码至少 8 位' }]}>
                <Input.Password autoComplete="new-password" />
              </Form.Item>
            </Col>
          </Row>

          <Typography.Title level={5}>要件（PDF、JPG 或 PNG，每个不超过 10 MB）</Typography.Title>
          <Row gutter={16}>
            {KINDS.map((k) => (
              <Col span={12} key={k} style={{ marginBottom: 12 }}>
                <Space direction="vertical" style={{ width: '100%' }}>
                  <span>{registrationFileKind[k]}{k === 'BUSINESS_LICENCE' ? '（必传）' : ''}</span>
                  <Upload
                    accept={ATTACHMENT.join(',')}
                    maxCount={1}
                    fileList={files[k] ? [{ uid: k, name: files[k]!.name, status: 'done' }] : []}
                    beforeUpload={(f) => {
                      const bad = checkFile(f, ATTACHMENT);
                      setFileProblem((p) => ({ ...p, [k]: bad ?? undefined }));
                      if (!bad) setFiles((old) => ({ ...old, [k]: f }));
                      return false;
                    }}
                    onRemove={() => setFiles((old) => ({ ...old, [k]: undefined }))}
                  >
                    <Button icon={<UploadOutlined />} aria-label={`上传${registrationFileKind[k]}`}>选择文件</Button>
                  </Upload>
                  {fileProblem[k] && <Typography.Text type="danger" role="alert">{fileProblem[k]}</Typography.Text>}
                </Space>
              </Col>
            ))}
          </Row>
          <Space>
            <Button type="primary" htmlType="submit" loading={state.fetching}>注册</Button>
            <Link to="/login">已有账号，去登录</Link>
          </Space>
        </Form>
      </Card>
    </div>
  );
}
