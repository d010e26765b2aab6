// Types of scripts/lib/node-defaults.js.
export interface EditorNodeDefinition {
  /** Each `defaults` key with its default value (undefined where the editor computes it). */
  defaults: Record<string, unknown>;
  credentials: string[];
  category?: string;
  outputs?: number;
}
export function readEditorFile(htmlFile: string): Record<string, EditorNodeDefinition>;
export function readEditorDir(dir: string): Record<string, EditorNodeDefinition>;
