/**
 * Telemetry: the daemon's metrics registry, exporters (Pushgateway, InfluxDB line protocol) and
 * alert rules. Imports only `plan`.
 */
export type {
  ExporterStatus,
  ExportResult,
  TelemetryExporter,
  AlertSignals,
  AlertSignalName,
  AlertOperator,
  AlertRule,
  Alert,
  AlertEngine,
  Disposable,
} from './types.js';
export { TELEMETRY_CONFIG_INVALID, AlertRuleError } from './errors.js';
export { createTelemetryRegistry, formatMetrics, getOrCreateCounter, getOrCreateGauge, type TelemetryRegistryOptions } from './registry.js';
export {
  toLineProtocol,
  metricsToPoints,
  formatLine,
  escapeMeasurement,
  escapeTag,
  escapeFieldString,
  type LinePoint,
  type FieldValue,
  type MetricSnapshot,
  type ToLineProtocolOptions,
} from './exporters/line-protocol.js';
export {
  createPeriodicExporter,
  type PeriodicExporterOptions,
  type ExporterCommonOptions,
  type ExportBackoff,
  type TelemetryLogger,
} from './exporters/periodic.js';
export { createPushgatewayExporter, type PushgatewayExporterOptions } from './exporters/pushgateway.js';
export { createInfluxExporter, type InfluxExporterOptions, type Influx1ExporterOptions, type Influx2ExporterOptions } from './exporters/influx.js';
export {
  telemetryConfigSchema,
  parseTelemetryConfig,
  exportersFromConfig,
  createExporter,
  createExporters,
  alertsConfigSchema,
  parseAlertsConfig,
  DEFAULT_EXPORT_INTERVAL_MS,
  type TelemetryConfigWire,
  type ExporterSpec,
  type ExporterDeps,
  type AlertsConfig,
} from './config.js';
export { parseAlertRule, parseDuration, alertSignals } from './alerts/rule.js';
export { createAlertEngine, type AlertEngineOptions } from './alerts/engine.js';
export { createTelemetry, type Telemetry, type TelemetryOptions } from './telemetry.js';
