// 退款账户: asked for at 保存并提交 when approval would refund money (needsRefundAccount).
import { Form, Input, Modal } from 'antd';
import { whenValid } from './whenValid';
import { yuan } from '../labels';

export interface RefundAccount {
  accountName: string;
  bankName: string;
  accountNumber: string;
}

export function RefundAccountDialog({ open, refund, submitting, onCancel, onOk }: {
  open: boolean; refund?: string; submitting?: boolean; onCancel: () => void; onOk: (a: RefundAccount) => void;
}) {
  const [form] = Form.useForm<RefundAccount>();
  return (
    <Modal open={open} title="退款账户" okText="提交" confirmLoading={submitting} onCancel={onCancel} onOk={() => whenValid(form, (v) => onOk({ accountName: v.accountName.trim(), bankName: v.bankName.trim(), accountNumber: v.accountNumber.trim() }))} destroyOnHidden>
      <p>{refund && refund !== '0.00' ? `审核通过后将退还 ${yuan(refund)}，` : '审核通过后将退还多交的资金，'}请填写退款账户。</p>
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item label="账户名称" name="accountName" rules={[{ required: true, whitespace: true, message: '请填写账户名称' }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item label="开户银行" name="bankName" rules={[{ required: true, whitespace: true, message: '请填写开户银行' }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item
          label="银行账号"
          name="accountNumber"
          rules={[
            { required: true, message: '请填写银行账号' },
            { pattern: /^\d{6,32}$/, message: '银行账号应为 6 到 32 位数字' },
          ]}
        >
          <Input maxLength={32} inputMode="numeric" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
