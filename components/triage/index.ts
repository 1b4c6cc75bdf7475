// The triage service: the TriageService component, the pure functions it is wired from, and the bundler.

export { TriageService, TAG_PUBLIC_ENDPOINT, REPLY_LINKS, REPLY_ROUTES, SWEEP_PAYLOAD } from "./service";
export {
    CLAIM_LEASE_SECONDS,
    ENGINE_ENV_VARS,
    ENTRY_POINTS,
    FUNCTION_ROLES,
    FUNCTION_SIZING,
    functionEnvironment,
    INTAKE_BATCH_SIZE,
    INTAKE_BATCHING_WINDOW_SECONDS,
    intakeVisibilityTimeoutSeconds,
    MAX_RECEIVE_COUNT,
    QUEUE_RETENTION_SECONDS,
    rateExpression,
    REPLY_CLAIM_LEASE_SECONDS,
    resolveTriageArgs,
    RUNTIME_ENV_VARS,
    triageAlarms,
    TriageArgsError,
    UNPARSED_LOG_MESSAGE,
    unparsedMessagesFilter,
} from "./args";
export type { AlarmSpec, AlarmTargets, EnvironmentInputs, FunctionRole, FunctionSizing, LogMetricFilterSpec, ResolvedTriageArgs, TriageServiceArgs } from "./args";
export {
    DUE_INDEX,
    intakePolicy,
    lambdaTrustPolicy,
    replyPolicy,
    schedulerPolicy,
    schedulerTrustPolicy,
    TABLE_ACTIONS,
    timerDeadLetterQueuePolicy,
    timerPolicy,
    topicQueuePolicy,
} from "./policies";
export type { EngineFunctionPolicyArgs, FunctionPolicyArgs, IntakePolicyArgs, TimerPolicyArgs } from "./policies";
export { BUNDLE_DIR, BUNDLE_ENTRY, BUNDLE_TARGET, buildBundle, BundleError, bundleOptions, ensureBundle, EXTERNAL_MODULES, LAMBDA_RUNTIME, staleReason } from "./bundle";
export {
    controlPlaneLogGroupArns,
    DIAGNOSTICS_FUNCTION_ENV_VARS,
    DIAGNOSTICS_TABLE_ACTIONS,
    diagnosticsAlarms,
    diagnosticsEnvironment,
    diagnosticsIteratorAgeAlarmMs,
    diagnosticsPolicy,
    resolveDiagnosticsArgs,
} from "./diagnostics";
export type { DiagnosticsPolicyArgs, ResolvedDiagnosticsArgs, TriageDiagnosticsArgs } from "./diagnostics";
