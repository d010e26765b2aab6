import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The editor files (nodes/<type>.html) carry their dialog code in <script type="text/javascript">
// blocks: lint each block as a script of its own, with messages mapped back to the .html lines.
const EDITOR_SCRIPT = /(<script\b[^>]*\btype=["']text\/javascript["'][^>]*>)([\s\S]*?)<\/script>/gi;
const blockStartLines = new Map();
const editorHtmlScripts = {
  meta: { name: 'abm365-editor-html-scripts' },
  preprocess(text, filename) {
    const blocks = [];
    const startLines = [];
    for (const m of text.matchAll(EDITOR_SCRIPT)) {
      startLines.push(text.slice(0, m.index + m[1].length).split('\n').length - 1);
      blocks.push({ text: m[2], filename: `${blocks.length}.js` });
    }
    blockStartLines.set(filename, startLines);
    return blocks;
  },
  postprocess(messages, filename) {
    const startLines = blockStartLines.get(filename) ?? [];
    blockStartLines.delete(filename);
    return messages.flatMap((list, i) =>
      list.map((m) => ({ ...m, line: m.line + startLines[i], ...(m.endLine ? { endLine: m.endLine + startLines[i] } : {}) })),
    );
  },
  supportsAutofix: false,
};

/** Code served to the browser as a plain script: browser globals (not Node's), the editor's RED and jQuery. */
const editorGlobals = {
  ...Object.fromEntries(Object.keys(globals.node).map((name) => [name, 'off'])),
  ...globals.browser,
  RED: 'readonly',
  $: 'readonly',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.demo/', '.ci/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
  {
    files: ['nodes/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['resources/**/*.js'],
    languageOptions: { sourceType: 'script', globals: editorGlobals },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['nodes/*.html'], processor: editorHtmlScripts },
  {
    // Node-RED calls the dialog's functions with fixed arguments (validate(v, opt), outputLabels(i))
    // and its idiom keeps `var node = this` for nested callbacks: neither is a finding here.
    files: ['nodes/*.html/*.js'],
    languageOptions: { sourceType: 'script', globals: editorGlobals },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none', caughtErrors: 'none', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
);
