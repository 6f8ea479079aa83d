import { Pending } from '../Pending';

export default function RegisterPage() {
  return <Pending title="注册" />;
}
