import { Pending } from '../Pending';

export function EstateChangePage() {
  return <Pending title="物业区域变更" />;
}
