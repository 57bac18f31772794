import type { Category } from '../api/types';
import type { Language } from '../i18n/format';

export interface FlatCategory {
  code: string;
  name: string;
  depth: number;
}

/** The category tree as a list in tree order, with each one's depth (for an indented <select>). */
export function flattenCategories(tree: Category[], language: Language, depth = 0): FlatCategory[] {
  return tree.flatMap((node) => [
    { code: node.code, name: language === 'zh' ? node.nameZh : node.nameEn, depth },
    ...flattenCategories(node.children ?? [], language, depth + 1),
  ]);
}
