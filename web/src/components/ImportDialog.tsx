// 导入: choose a workbook (checked for type and size first), upload it, follow the job on
// `jobUpdated` with a progress bar, and show the row errors as a table (行, 列, 原因).
import { useState } from 'react';
import { Alert, Button, Modal, Progress, Space, Table, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { useMutation, useSubscription } from 'urql';
import { ImportHousesMutation, JobSubscription } from '../pages/estates/applications.gql';
import { checkFile, WORKBOOK } from './files';
import { errorText } from '../errors';
import { jobStatus } from '../labels';

export interface JobErrorRow {
  row?: number | null;
  column?: string | null;
  code: string;
  message: string;
}

export function JobErrorsTable({ errors }: { errors: readonly JobErrorRow[] }) {
  return (
    <Table<JobErrorRow>
      size="small"
      aria-label="导入错误"
      rowKey={(_, i) => String(i)}
      dataSource={[...errors]}
      pagination={{ pageSize: 10, hideOnSinglePage: true }}
      columns={[
        { title: '行', dataIndex: 'row', width: 70, render: (v) => v ?? '—' },
        { title: '列', dataIndex: 'column', width: 140, render: (v) => v ?? '—' },
        { title: '原因', dataIndex: 'message' },
      ]}
    />
  );
}

export interface ImportDialogProps {
  applicationId: string;
  open: boolean;
  title?: string;
  templateUrl?: string;
  onClose: () => void;
  /** the import finished without errors */
  onDone?: () => void;
}

export function ImportDialog({ applicationId, open, title = '导入', templateUrl, onClose, onDone }: ImportDialogProps) {
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [start, startImport] = useMutation(ImportHousesMutation);
  const [job] = useSubscription({ query: JobSubscription, variables: { id: jobId ?? '' }, pause: !jobId }, (_prev, next) => {
    if (next.jobUpdated.status === 'SUCCEEDED' && !next.jobUpdated.errors.length) onDone?.();
    return next;
  });
  const j = job.data?.jobUpdated;
  const running = !!jobId && (!j || j.status === 'QUEUED' || j.status === 'RUNNING');
  const close = () => {
    if (running) return;
    setFile(null);
    setJobId(null);
    setProblem(null);
    onClose();
  };

  return (
    <Modal
      open={open}
      title={title}
      onCancel={close}
      width={720}
      maskClosable={false}
      footer={[
        <Button key="close" onClick={close} disabled={running}>关闭</Button>,
        <Button
          key="go"
          type="primary"
          disabled={!file || running}
          loading={start.fetching || running}
          onClick={async () => {
            if (!file) return;
            setJobId(null);
            const r = await startImport({ applicationId, file });
            if (r.error) setProblem(errorText(r.error));
            else setJobId(r.data!.importHouses.id);
          }}
        >
          开始导入
        </Button>,
      ]}
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        {templateUrl && (
          <Typography.Text>
            请按模板填写后导入：<a href={templateUrl} download>模板下载</a>
          </Typography.Text>
        )}
        <Upload
          accept={WORKBOOK.join(',')}
          maxCount={1}
          fileList={file ? [{ uid: '1', name: file.name, status: 'done' }] : []}
          beforeUpload={(f) => {
            const bad = checkFile(f, WORKBOOK);
            setProblem(bad);
            setFile(bad ? null : f);
            setJobId(null);
            return false; // uploaded by 开始导入, through the API
          }}
          onRemove={() => setFile(null)}
        >
          <Button icon={<UploadOutlined />} disabled={running}>选择文件</Button>
        </Upload>
        {problem && <Alert type="error" showIcon message={problem} />}
        {jobId && (
          <div>
            <Progress
              percent={Math.round((j?.progress ?? 0) * 100)}
              status={j?.status === 'FAILED' ? 'exception' : j?.status === 'SUCCEEDED' ? 'success' : 'active'}
              aria-label="导入进度"
            />
            <Typography.Text type="secondary">
              {j ? `${jobStatus[j.status]}：已处理 ${j.processed}${j.total ? ` / ${j.total}` : ''} 行` : '排队中'}
              {j?.message ? `，${j.message}` : ''}
            </Typography.Text>
          </div>
        )}
        {j?.status === 'SUCCEEDED' && !j.errors.length && <Alert type="success" showIcon message={`导入成功，共 ${j.processed} 行`} />}
        {j && j.errors.length > 0 && (
          <>
            <Alert type="error" showIcon message={`导入未成功：${j.errors.length} 处错误，请修改后重新导入`} />
            <JobErrorsTable errors={j.errors} />
          </>
        )}
      </Space>
    </Modal>
  );
}
