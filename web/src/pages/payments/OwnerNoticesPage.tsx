import { Pending } from '../Pending';

export function OwnerNoticesPage() {
  return <Pending title="代打交款通知单" />;
}
