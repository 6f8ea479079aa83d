// 保存并提交 on every application screen: a saved application is submitted at once, or, when its
// approval would refund money (needsRefundAccount, or the API answers that the account is
// missing), after the 退款账户 dialog. The screen gets the outcome through onDone.
import { useState } from 'react';
import { App } from 'antd';
import { useMutation } from 'urql';
import { SubmitMutation } from '../pages/estates/applications.gql';
import { RefundAccountDialog, type RefundAccount } from './RefundAccountDialog';
import { useShowError } from './useShowError';
import { sumAmounts } from '../labels';

export interface SavedApp {
  id: string;
  number: string;
  needsRefundAccount: boolean;
  /** per house, what approval would refund */
  depositImpact?: readonly { refund: string }[];
}

export function useSubmitApplication(onDone: (saved: SavedApp, submitted: boolean) => void) {
  const [state, submit] = useMutation(SubmitMutation);
  const [asking, setAsking] = useState<SavedApp | null>(null);
  const showError = useShowError();
  const { message } = App.useApp();

  const send = async (saved: SavedApp, refundAccount: RefundAccount | null) => {
    const r = await submit({ id: saved.id, refundAccount });
    if (!r.error) {
      setAsking(null);
      message.success(`业务单 ${saved.number} 已提交，等待受理`);
      onDone(saved, true);
      return;
    }
    const wantsAccount = r.error.graphQLErrors.some((e) => String(e.extensions?.field ?? '').startsWith('refundAccount'));
    if (wantsAccount && !refundAccount) {
      setAsking(saved);
      return;
    }
    showError(r.error);
    if (!refundAccount) {
      message.warning(`业务单 ${saved.number} 已保存，但提交未成功`);
      onDone(saved, false);
    } // with the dialog open the user corrects the account and tries again
  };

  const submitSaved = (saved: SavedApp) => (saved.needsRefundAccount ? setAsking(saved) : send(saved, null));

  const dialog = (
    <RefundAccountDialog
      open={!!asking}
      refund={asking?.depositImpact ? sumAmounts(asking.depositImpact.map((d) => d.refund)) : undefined}
      submitting={state.fetching}
      onCancel={() => {
        const saved = asking!;
        setAsking(null);
        message.info(`业务单 ${saved.number} 已保存，尚未提交`);
        onDone(saved, false);
      }}
      onOk={(account) => send(asking!, account)}
    />
  );
  return { submitSaved, submitting: state.fetching, dialog };
}
