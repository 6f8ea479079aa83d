// One 业务单: what it changes, 导入 / 附件 while it is a draft or 退回, 保存并提交 (with the
// 退款账户 dialog when needed), 撤回, 打印申请表 / 打印退款申请表. Its status follows the clerk's
// actions live (applicationStatusChanged).
import { useEffect, useState } from 'react';
import {
  Alert, App, Button, Descriptions, Popconfirm, Space, Spin, Table, Tag, Timeline, Typography, Upload,
} from 'antd';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery, useSubscription } from 'urql';
import {
  AddAttachmentMutation, ApplicationQuery, ApplicationStatusSubscription, JobSubscription, RemoveAttachmentMutation,
  WithdrawMutation,
} from './applications.gql';
import { editPath, importsHouses } from './appRoutes';
import { ImportDialog, JobErrorsTable } from '../../components/ImportDialog';
import { useSubmitApplication } from '../../components/useSubmitApplication';
import { ATTACHMENT, checkFile } from '../../components/files';
import { useShowError } from '../../components/useShowError';
import { errorText } from '../../errors';
import {
  applicationStatus, applicationStatusColor, applicationType, depositTiming, salesStatus, structure, usage, yuan,
} from '../../labels';

type Snapshot = {
  code?: string | null; buildingName: string; unit?: string | null; floor: number; roomNumber: string; address: string;
  usage: string; buildingArea: string; innerArea?: string | null; price?: string | null; salesStatus: string;
  realEstateUnitNumber?: string | null; layout?: string | null; owners: { name: string }[];
};

const SNAPSHOT_COLUMNS: { key: keyof Snapshot; title: string; show?: (s: Snapshot) => string }[] = [
  { key: 'buildingName', title: '楼幢' },
  { key: 'unit', title: '单元' },
  { key: 'floor', title: '楼层' },
  { key: 'roomNumber', title: '房号' },
  { key: 'address', title: '坐落' },
  { key: 'usage', title: '用途', show: (s) => usage[s.usage] ?? s.usage },
  { key: 'layout', title: '户型' },
  { key: 'buildingArea', title: '建筑面积' },
  { key: 'innerArea', title: '套内面积' },
  { key: 'price', title: '房款' },
  { key: 'salesStatus', title: '销售状态', show: (s) => salesStatus[s.salesStatus] ?? s.salesStatus },
  { key: 'owners', title: '业主', show: (s) => s.owners.map((o) => o.name).join('、') },
];

function cell(s: Snapshot | null | undefined, c: (typeof SNAPSHOT_COLUMNS)[number]): string {
  if (!s) return '';
  if (c.show) return c.show(s);
  const v = s[c.key];
  return v == null ? '' : String(v);
}

export function ApplicationDetailPage() {
  const { id = '' } = useParams();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const showError = useShowError();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ApplicationQuery, variables: { id } });
  const [live] = useSubscription({ query: ApplicationStatusSubscription, variables: { applicationId: id } });
  const [importing, setImporting] = useState(false);
  const { submitSaved, submitting, dialog } = useSubmitApplication(() => refetch({ requestPolicy: 'network-only' }));
  const [, withdraw] = useMutation(WithdrawMutation);
  const [attachState, attach] = useMutation(AddAttachmentMutation);
  const [, detach] = useMutation(RemoveAttachmentMutation);

  // a clerk acted: show the new status at once and read what came with it (form, notices)
  const liveEvent = live.data?.applicationStatusChanged;
  useEffect(() => {
    if (liveEvent) refetch({ requestPolicy: 'network-only' });
  }, [liveEvent, refetch]);

  const a = data?.application;
  const formJobId = a && !a.form && a.formJob && a.formJob.status !== 'FAILED' ? a.formJob.id : null;
  const [formJob] = useSubscription({ query: JobSubscription, variables: { id: formJobId ?? '' }, pause: !formJobId });
  const formDone = formJob.data?.jobUpdated.status;
  useEffect(() => {
    if (formDone === 'SUCCEEDED' || formDone === 'FAILED') refetch({ requestPolicy: 'network-only' });
  }, [formDone, refetch]);

  if (error) return <Alert type="error" showIcon message={errorText(error)} />;
  if (fetching && !a) return <Spin />;
  if (!a) return <Alert type="warning" message="找不到该业务单" />;

  const status = liveEvent?.application.id === a.id ? liveEvent.application.status : a.status;
  const editable = status === 'DRAFT' || status === 'REJECTED';
  const formUrl = formJob.data?.jobUpdated.result?.url ?? a.form?.url;
  const refundForms = a.refunds.filter((r) => r.form);

  return (
    <>
      <Space align="center" wrap style={{ marginBottom: 8 }}>
        <Link to="/applications">业务单</Link>
        <span>/</span>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {applicationType[a.type]} {a.number}
        </Typography.Title>
        <Tag color={applicationStatusColor[status]} aria-label="业务单状态">{applicationStatus[status]}</Tag>
      </Space>
      {status === 'REJECTED' && a.reviewComment && (
        <Alert type="error" showIcon style={{ marginBottom: 12 }} message={`退回意见：${a.reviewComment}`} description="请修改后重新提交" />
      )}
      <Descriptions size="small" bordered column={3} style={{ marginBottom: 12 }}>
        <Descriptions.Item label="业务单号">{a.number}</Descriptions.Item>
        <Descriptions.Item label="业务类型">{applicationType[a.type]}</Descriptions.Item>
        <Descriptions.Item label="物业区域">{a.estate ? <Link to={`/estates/${a.estate.id}`}>{a.estate.name}</Link> : ''}</Descriptions.Item>
        {a.type === 'ESTATE_COLLECTION' && a.estate && (
          <>
            <Descriptions.Item label="行政区域">{a.estate.district}</Descriptions.Item>
            <Descriptions.Item label="坐落">{a.estate.address}</Descriptions.Item>
            <Descriptions.Item label="交存时点">{depositTiming[a.estate.depositTiming]}</Descriptions.Item>
          </>
        )}
        {a.reason && <Descriptions.Item label="变更原因" span={3}>{a.reason}</Descriptions.Item>}
        <Descriptions.Item label="创建人">{a.createdBy.name}</Descriptions.Item>
        <Descriptions.Item label="创建时间">{a.createdAt.slice(0, 16).replace('T', ' ')}</Descriptions.Item>
        <Descriptions.Item label="涉及房屋">{a.houseChangeCount} 户</Descriptions.Item>
      </Descriptions>

      <Space wrap style={{ marginBottom: 12 }}>
        {editable && (
          <Button onClick={() => navigate(`${editPath[a.type]}?id=${a.id}`)}>修改</Button>
        )}
        {editable && importsHouses.has(a.type) && (
          <>
            <Button href="/templates/houses.xlsx" download>模板下载</Button>
            <Button onClick={() => setImporting(true)}>导入</Button>
          </>
        )}
        {editable && (
          <Button
            type="primary"
            loading={submitting}
            onClick={() => submitSaved(a)}
          >
            保存并提交
          </Button>
        )}
        {(editable || status === 'SUBMITTED') && (
          <Popconfirm
            title="撤回后该业务单作废，确定撤回？"
            okText="撤回"
            cancelText="取消"
            onConfirm={async () => {
              const r = await withdraw({ id: a.id });
              if (r.error) return showError(r.error);
              message.success('已撤回');
              refetch({ requestPolicy: 'network-only' });
            }}
          >
            <Button danger>撤回</Button>
          </Popconfirm>
        )}
        {(status === 'SUBMITTED' || status === 'ACCEPTED' || status === 'APPROVED') &&
          (formUrl ? (
            <Button href={formUrl} target="_blank">打印申请表</Button>
          ) : (
            <Button loading disabled>申请表生成中</Button>
          ))}
        {refundForms.map((r) => (
          <Button key={r.id} href={r.form!.url} target="_blank">
            打印退款申请表{refundForms.length > 1 ? ` ${r.house.code}` : ''}
          </Button>
        ))}
      </Space>

      {a.importJob && a.importJob.errors.length > 0 && editable && (
        <>
          <Alert type="error" showIcon message="上次导入未成功，请修改后重新导入" />
          <JobErrorsTable errors={a.importJob.errors} />
        </>
      )}

      {a.type === 'HOUSE_SPLIT_MERGE' && (
        <>
          <Typography.Title level={5}>附件</Typography.Title>
          <Space direction="vertical" style={{ marginBottom: 12 }}>
            {a.attachments.map((d) => (
              <Space key={d.id}>
                <a href={d.url} target="_blank" rel="noreferrer">{d.filename}</a>
                {editable && (
                  <Button size="small" onClick={async () => {
                    const r = await detach({ applicationId: a.id, documentId: d.id });
                    if (r.error) showError(r.error);
                  }}>删除</Button>
                )}
              </Space>
            ))}
            {editable && (
              <Upload
                accept={ATTACHMENT.join(',')}
                showUploadList={false}
                beforeUpload={(f) => {
                  const bad = checkFile(f, ATTACHMENT);
                  if (bad) {
                    message.error(bad);
                    return false;
                  }
                  attach({ applicationId: a.id, file: f }).then((r) => {
                    if (r.error) showError(r.error);
                    else refetch({ requestPolicy: 'network-only' });
                  });
                  return false;
                }}
              >
                <Button loading={attachState.fetching}>上传附件</Button>
              </Upload>
            )}
          </Space>
        </>
      )}

      {a.buildingChanges.length > 0 && (
        <Table
          size="small"
          rowKey={(r) => r.building.id}
          pagination={false}
          style={{ marginBottom: 12 }}
          dataSource={a.buildingChanges}
          columns={[
            { title: '楼幢', render: (_, r) => r.building.name },
            { title: '名称', render: (_, r) => diff(r.before.name, r.after.name) },
            { title: '坐落', render: (_, r) => diff(r.before.address, r.after.address) },
            { title: '建成年份', render: (_, r) => diff(r.before.builtYear, r.after.builtYear) },
            { title: '结构', render: (_, r) => diff(structureName(r.before.structure), structureName(r.after.structure)) },
          ]}
        />
      )}

      {/* a building change has no houses: no empty table for it */}
      {(a.houseChangeCount > 0 || importsHouses.has(a.type)) && (<>
      <Typography.Title level={5}>房屋（{a.houseChangeCount} 户）</Typography.Title>
      <Table
        size="small"
        rowKey={(r, i) => r.house?.id ?? r.after?.code ?? String(i)}
        dataSource={a.houseChanges}
        scroll={{ x: 'max-content' }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: importsHouses.has(a.type) ? '尚未导入房屋' : '无' }}
        columns={[
          { title: '房屋编号', width: 150, render: (_, r) => r.house?.code ?? r.after?.code ?? r.before?.code ?? '（新）' },
          ...SNAPSHOT_COLUMNS.map((c) => ({
            title: c.title,
            key: c.key,
            // a long 坐落 is cut short (its full text in the tooltip); the rest fit on one line
            ...(c.key === 'address'
              ? { width: 240, ellipsis: { showTitle: true } }
              : { onCell: () => ({ style: { whiteSpace: 'nowrap' as const } }), onHeaderCell: () => ({ style: { whiteSpace: 'nowrap' as const } }) }),
            render: (_: unknown, r: { before?: Snapshot | null; after?: Snapshot | null }) =>
              r.before && r.after ? diff(cell(r.before, c), cell(r.after, c)) : r.after ? cell(r.after, c) : <s>{cell(r.before, c)}</s>,
          })),
        ]}
      />
      </>)}

      {a.paymentNotices.length > 0 && (
        <Alert
          type="info"
          style={{ marginTop: 12 }}
          message={`审核通过后开出补交通知单：${a.paymentNotices.map((n) => `${n.number}（${yuan(n.total)}）`).join('、')}`}
        />
      )}

      <Typography.Title level={5} style={{ marginTop: 16 }}>办理记录</Typography.Title>
      <Timeline
        items={a.history.map((h) => ({
          children: `${h.at.slice(0, 16).replace('T', ' ')} ${h.by?.name ?? ''} ${applicationStatus[h.status]}${h.comment ? `：${h.comment}` : ''}`,
        }))}
      />

      <ImportDialog
        applicationId={a.id}
        open={importing}
        title="导入房屋"
        templateUrl="/templates/houses.xlsx"
        onClose={() => {
          setImporting(false);
          refetch({ requestPolicy: 'network-only' });
        }}
      />
      {dialog}
    </>
  );
}

function structureName(v: string | null | undefined): string {
  return v ? (structure[v] ?? v) : '';
}

function diff(before: unknown, after: unknown) {
  const b = before == null ? '' : String(before);
  const a = after == null ? '' : String(after);
  if (b === a) return b;
  return (
    <span>
      <s style={{ color: 'rgba(0,0,0,.45)' }}>{b || '（空）'}</s> → <b>{a || '（空）'}</b>
    </span>
  );
}
