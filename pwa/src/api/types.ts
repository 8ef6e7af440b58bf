/** Shapes the API returns, as far as the app reads them. */

export interface Site {
  id: number;
  name: string;
  address: string;
  credit_code?: string | null;
  grid_id: number;
  grid_name?: string;
  category: string;
  domains: string[];
  risk_level?: string;
  contact_name?: string | null;
  contact_mobile?: string | null;
  lat?: number | null;
  lng?: number | null;
  notes?: string | null;
  active?: boolean;
  qr_token?: string | null;
  allowed_actions?: string[];
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
}

export interface ChecklistSummary {
  id: string;
  version: string;
  title: string;
  content_hash: string;
  categories: string[];
  domains: string[];
  item_count: number;
}

export type AnswerSpec =
  | { type: 'compliance' }
  | { type: 'number'; unit?: string; min?: number; max?: number }
  | { type: 'choice'; options: { value: string; label: string; compliant: boolean }[] };

export interface ChecklistItem {
  code: string;
  text: string;
  method?: string;
  answer: AnswerSpec;
  photo_required_on_fail?: boolean;
  hazard?: { description?: string; level?: '一般' | '重大' };
  deduction?: number;
  note?: string;
}

export interface ChecklistSection {
  code: string;
  title: string;
  cap?: number;
  items: ChecklistItem[];
}

export interface ChecklistContent {
  id: string;
  title: string;
  version: string;
  total_score?: number;
  sections: ChecklistSection[];
}

export interface ChecklistVersion extends ChecklistSummary {
  content: ChecklistContent;
}
