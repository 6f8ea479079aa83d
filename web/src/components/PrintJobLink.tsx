// A PDF made by a background job: a progress line while it renders, then a link that opens it.
import { Button, Space, Typography } from 'antd';
import { useSubscription } from 'urql';
import { JobSubscription } from '../pages/estates/applications.gql';

export function PrintJobLink({ jobId, label }: { jobId: string; label: string }) {
  const [{ data }] = useSubscription({ query: JobSubscription, variables: { id: jobId } });
  const j = data?.jobUpdated;
  if (j?.status === 'FAILED') {
    return <Typography.Text type="danger">生成失败：{j.message ?? j.errors.map((e) => e.message).join('；')}</Typography.Text>;
  }
  if (j?.status === 'SUCCEEDED' && j.result) {
    return (
      <Button type="primary" href={j.result.url} target="_blank">
        {label}
      </Button>
    );
  }
  return (
    <Space>
      <Button loading disabled>正在生成 {label.replace(/^打开/, '')}</Button>
      {j && <Typography.Text type="secondary">{Math.round(j.progress * 100)}%</Typography.Text>}
    </Space>
  );
}
