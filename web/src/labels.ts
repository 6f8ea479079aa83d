// The manual's Chinese names for the API's enum values.
export const applicationType: Record<string, string> = {
  ESTATE_COLLECTION: '物业区域采集',
  BUILDING_CHANGE: '楼幢变更',
  HOUSE_SPLIT_MERGE: '房屋拆分合并',
  HOUSE_SUPPLEMENT: '房屋补充',
  HOUSE_INFO_CHANGE: '房屋信息变更',
  OWNERSHIP_CHANGE: '房屋权属批量变更',
  HOUSE_CANCELLATION: '房屋注销',
};

export const applicationStatus: Record<string, string> = {
  DRAFT: '草稿',
  SUBMITTED: '已提交',
  ACCEPTED: '已受理',
  APPROVED: '已审核',
  REJECTED: '退回',
  WITHDRAWN: '已撤回',
};

export const applicationStatusColor: Record<string, string> = {
  DRAFT: 'default',
  SUBMITTED: 'processing',
  ACCEPTED: 'blue',
  APPROVED: 'success',
  REJECTED: 'error',
  WITHDRAWN: 'warning',
};

export const recordStatus: Record<string, string> = { PENDING: '待审核', ACTIVE: '正常', CANCELLED: '已注销' };
export const salesStatus: Record<string, string> = { UNSOLD: '未售', SOLD: '已售' };
export const usage: Record<string, string> = {
  RESIDENTIAL: '住宅',
  COMMERCIAL: '商业',
  OFFICE: '办公',
  GARAGE: '车库',
  PARKING_SPACE: '车位',
  STORAGE: '储藏室',
  OTHER: '其他',
};
export const structure: Record<string, string> = {
  REINFORCED_CONCRETE: '钢筋混凝土',
  MIXED: '混合',
  FRAME: '框架',
  FRAME_SHEAR_WALL: '框架剪力墙',
  STEEL: '钢结构',
  BRICK_WOOD: '砖木',
  OTHER: '其他',
};
export const depositTiming: Record<string, string> = {
  BEFORE_CONTRACT_FILING: '合同备案前',
  BEFORE_INITIAL_REGISTRATION: '初始登记前',
  BEFORE_HANDOVER: '交付前',
};
export const idType: Record<string, string> = {
  RESIDENT_ID: '居民身份证',
  PASSPORT: '护照',
  HK_MACAO_PERMIT: '港澳居民来往内地通行证',
  TAIWAN_PERMIT: '台湾居民来往大陆通行证',
  FOREIGN_PERMANENT_RESIDENT_ID: '外国人永久居留身份证',
  CREDIT_CODE: '统一社会信用代码',
  OTHER: '其他',
};
export const noticeStatus: Record<string, string> = { ISSUED: '未交款', PAID: '已交款', CANCELLED: '已作废' };
export const noticeStatusColor: Record<string, string> = { ISSUED: 'warning', PAID: 'success', CANCELLED: 'default' };
export const paymentType: Record<string, string> = {
  FIRST_DEPOSIT: '首期交存',
  MAKE_UP: '补交',
  RENEWAL: '续筹',
  OTHER: '其他',
};
export const role: Record<string, string> = {
  ORG_ADMIN: '机构管理员',
  ESTATE_OPERATOR: '物业区域经办人',
  PAYMENT_OPERATOR: '交款经办人',
  CLERK: '窗口人员',
  BANK: '银行',
  ADMIN: '系统管理员',
};
export const userStatus: Record<string, string> = { ACTIVE: '正常', DEACTIVATED: '已注销' };
export const jobStatus: Record<string, string> = { QUEUED: '排队中', RUNNING: '处理中', SUCCEEDED: '完成', FAILED: '失败' };
export const registrationFileKind: Record<string, string> = {
  BUSINESS_LICENCE: '营业执照',
  LEGAL_REPRESENTATIVE_ID: '法定代表人身份证明',
  AUTHORIZATION_LETTER: '授权委托书',
  OTHER: '其他材料',
};

export function options(map: Record<string, string>): { value: string; label: string }[] {
  return Object.entries(map).map(([value, label]) => ({ value, label }));
}

/** An exact Decimal string as money, with thousands separators: "212977.00" → "¥212,977.00". */
export function yuan(v: string | null | undefined): string {
  if (v == null) return '—';
  const [int, frac] = v.split('.');
  return `¥${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac !== undefined ? '.' + frac : ''}`;
}

/** The sum of exact two-place amounts ("12.30"), added in fen so nothing is lost to floating point. */
export function sumAmounts(amounts: readonly string[]): string {
  const fen = amounts.reduce((sum, v) => {
    const [whole, frac = ''] = v.split('.');
    return sum + BigInt(whole + frac.padEnd(2, '0').slice(0, 2));
  }, 0n);
  const text = fen.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}
