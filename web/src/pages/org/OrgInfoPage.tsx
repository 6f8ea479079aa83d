import { Pending } from '../Pending';

export function OrgInfoPage() {
  return <Pending title="信息变更" />;
}
