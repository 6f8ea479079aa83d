import { Pending } from '../Pending';

export function CustomNoticesPage() {
  return <Pending title="自定义交款" />;
}
