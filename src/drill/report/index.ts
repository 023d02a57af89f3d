/** Reports of drill runs: the self-contained HTML page and the terminal summary. */
export { renderHtmlReport, escapeHtml } from './html.js';
export { formatSummary, formatComparison, summaryRows, verdictLabel } from './summary.js';
