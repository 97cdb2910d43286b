import { TRANSLATION_STRATEGIES, TranslationStrategy } from '../naming/strategy';

/**
 * How OTLP metrics become Prometheus series: Prometheus 3's `otlp:` configuration block, plus the
 * two feature-flag behaviours that change translation. Field names follow the YAML keys
 * (`promote_resource_attributes` → `promoteResourceAttributes`).
 */
export interface OtlpTranslationConfig {
  /** Metric and label name translation (`translation_strategy`); default UnderscoreEscapingWithSuffixes. */
  translationStrategy: TranslationStrategy;
  /** Resource attributes copied onto every series of their resource as labels (`promote_resource_attributes`). */
  promoteResourceAttributes: string[];
  /** Copy every resource attribute onto every series, except `ignoreResourceAttributes` (`promote_all_resource_attributes`). */
  promoteAllResourceAttributes: boolean;
  /** Resource attributes left out when `promoteAllResourceAttributes` is on (`ignore_resource_attributes`). */
  ignoreResourceAttributes: string[];
  /** Also put service.name, service.namespace and service.instance.id on `target_info` (`keep_identifying_resource_attributes`). */
  keepIdentifyingResourceAttributes: boolean;
  /** Add otel_scope_name/_version/_schema_url and otel_scope_<attr> labels (`promote_scope_metadata`); off in Prometheus 3 by default. */
  promoteScopeMetadata: boolean;
  /** Prefix `key` to label names that start with a single `_` (`label_name_underscore_sanitization`). */
  labelNameUnderscoreSanitization: boolean;
  /** Keep runs of `_` in label names instead of collapsing them (`label_name_preserve_multiple_underscores`). */
  labelNamePreserveMultipleUnderscores: boolean;
  /** Convert explicit-bucket histograms to native histograms with custom buckets (`convert_histograms_to_nhcb`); not supported yet, must stay false. */
  convertHistogramsToNhcb: boolean;
  /** Store delta sums and histograms as they are instead of rejecting them (Prometheus flag `otlp-native-delta-ingestion`). */
  allowDeltaTemporality: boolean;
  /** PromQL lookback delta in milliseconds: `target_info` gets a sample every half of it across each resource's time range. */
  lookbackDeltaMs: number;
}

/** Prometheus 3's defaults (an absent `otlp:` block). */
export function defaultOtlpTranslationConfig(): OtlpTranslationConfig {
  return {
    translationStrategy: 'UnderscoreEscapingWithSuffixes',
    promoteResourceAttributes: [],
    promoteAllResourceAttributes: false,
    ignoreResourceAttributes: [],
    keepIdentifyingResourceAttributes: false,
    promoteScopeMetadata: false,
    labelNameUnderscoreSanitization: true,
    labelNamePreserveMultipleUnderscores: true,
    convertHistogramsToNhcb: false,
    allowDeltaTemporality: false,
    lookbackDeltaMs: 5 * 60 * 1000,
  };
}

/**
 * Every problem with `config`, as Prometheus's config loader reports them (empty when valid).
 * Attribute lists are checked after trimming spaces, as Prometheus does.
 */
export function validateOtlpTranslationConfig(config: OtlpTranslationConfig): string[] {
  const errors: string[] = [];
  if (!TRANSLATION_STRATEGIES.includes(config.translationStrategy)) {
    errors.push(
      `unsupported OTLP translation strategy ${JSON.stringify(config.translationStrategy)}; use one of ${TRANSLATION_STRATEGIES.join(', ')}`,
    );
  }
  if (config.promoteAllResourceAttributes) {
    if (config.promoteResourceAttributes.length > 0) {
      errors.push("'promote_all_resource_attributes' and 'promote_resource_attributes' cannot be configured simultaneously");
    }
    checkAttributes(config.ignoreResourceAttributes, 'ignored', 'ignore_resource_attributes', errors);
  } else {
    if (config.ignoreResourceAttributes.length > 0) {
      errors.push("'ignore_resource_attributes' cannot be configured unless 'promote_all_resource_attributes' is true");
    }
    checkAttributes(config.promoteResourceAttributes, 'promoted', 'promote_resource_attributes', errors);
  }
  if (config.convertHistogramsToNhcb) {
    errors.push(
      "'convert_histograms_to_nhcb' is not supported yet: explicit-bucket histograms are stored as classic _bucket/_sum/_count series; set it to false",
    );
  }
  if (!Number.isInteger(config.lookbackDeltaMs) || config.lookbackDeltaMs < 2) {
    errors.push(`lookback delta must be a whole number of milliseconds of at least 2, got ${config.lookbackDeltaMs}`);
  }
  return errors;
}

function checkAttributes(attrs: string[], adjective: string, key: string, errors: string[]): void {
  const seen = new Set<string>();
  for (const raw of attrs) {
    const attr = raw.trim();
    if (attr === '') {
      errors.push(`invalid '${key}': empty ${adjective} OTel resource attribute`);
      continue;
    }
    if (seen.has(attr)) {
      errors.push(`invalid '${key}': duplicated ${adjective} OTel resource attribute ${JSON.stringify(attr)}`);
      continue;
    }
    seen.add(attr);
  }
}
