// A 退回 application is edited with the clerk's reason in view.
import { Alert } from 'antd';

export function ReturnedNotice({ app }: { app?: { status: string; reviewComment?: string | null } | null }) {
  if (app?.status !== 'REJECTED') return null;
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginBottom: 12 }}
      message={`退回意见：${app.reviewComment || '（未填写）'}`}
      description="请按意见修改后保存并提交"
    />
  );
}
