import { Pending } from '../Pending';

export function OrgUsersPage() {
  return <Pending title="机构用户管理" />;
}
