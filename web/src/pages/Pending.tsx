import { Result } from 'antd';

/** A menu the portal does not have yet: says so, and where the API serves it meanwhile. */
export function Pending({ title }: { title: string }) {
  return <Result status="info" title={title} subTitle="本页面尚在开发中，暂请通过 /graphql 办理。" />;
}
