// Checks a file before it is uploaded, with the limits the API applies (errors.md FILE_REJECTED).
export const MAX_UPLOAD_MB = 10;

export function checkFile(file: File, extensions: string[], maxMb = MAX_UPLOAD_MB): string | null {
  const name = file.name.toLowerCase();
  if (!extensions.some((ext) => name.endsWith(ext))) {
    return `文件类型不符：请上传 ${extensions.join('、')} 文件`;
  }
  if (file.size > maxMb * 1024 * 1024) return `文件超过 ${maxMb} MB 的上限`;
  if (file.size === 0) return '文件为空';
  return null;
}

export const WORKBOOK = ['.xlsx', '.xls', '.ods'];
export const ATTACHMENT = ['.pdf', '.jpg', '.jpeg', '.png'];

/** Opens a stored document (a signed link) in a new tab. */
export function openDocument(url: string): void {
  window.open(url, '_blank', 'noopener');
}
