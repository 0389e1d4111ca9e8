//! Keys that LiteLLM's config accepts but switchboard does not act on yet.
//!
//! A key in neither the schema nor these lists is most likely a typo, and the
//! warning says so; a key listed here is a real LiteLLM setting, and the
//! warning says it is ignored. Both name the key, so nothing is silently lost.

/// Top-level sections LiteLLM knows.
const TOP_LEVEL: &[&str] = &[
    "include",
    "guardrails",
    "mcp_servers",
    "mcp_aliases",
    "credential_list",
    "files_settings",
    "assistant_settings",
    "finetune_settings",
    "vector_store_registry",
    "model_group_alias",
    "search_tools",
    "prompts",
];

const ROUTER_SETTINGS: &[&str] = &[
    "redis_host",
    "redis_port",
    "redis_password",
    "redis_url",
    "enable_pre_call_checks",
    "model_group_alias",
    "allowed_fails_policy",
    "routing_strategy_args",
    "enable_tag_filtering",
    "provider_budget_config",
    "optional_pre_call_checks",
    "cache_responses",
    "debug_level",
    "polling_interval",
    "client_ttl",
    "model_group_retry_policy",
    "cache_kwargs",
    "set_verbose",
];

const LITELLM_SETTINGS: &[&str] = &[
    "service_callback",
    "cache",
    "cache_params",
    "turn_off_message_logging",
    "redact_user_api_key_info",
    "redact_messages_in_exceptions",
    "max_budget",
    "budget_duration",
    "default_team_settings",
    "default_key_generate_params",
    "upperbound_key_generate_params",
    "default_internal_user_params",
    "key_generation_settings",
    "max_internal_user_budget",
    "internal_user_budget_duration",
    "modify_params",
    "enable_preview_features",
    "force_ipv4",
    "disable_end_user_cost_tracking",
    "guardrails",
    "ssl_verify",
    "return_response_headers",
    "enable_json_schema_validation",
    "telemetry",
    "max_end_user_budget",
    "public_teams",
    "default_max_internal_user_budget",
    "logging",
    "global_disable_no_log_param",
    "cache_responses",
    "upperbound_key_generate_params",
];

const GENERAL_SETTINGS: &[&str] = &[
    "database_connection_pool_limit",
    "database_connection_timeout",
    "store_model_in_db",
    "store_prompts_in_spend_logs",
    "disable_master_key_return",
    "alerting",
    "alerting_threshold",
    "alert_types",
    "alert_to_webhook_url",
    "proxy_batch_write_at",
    "proxy_budget_rescheduler_min_time",
    "proxy_budget_rescheduler_max_time",
    "enable_jwt_auth",
    "litellm_jwtauth",
    "allowed_routes",
    "admin_only_routes",
    "public_routes",
    "custom_auth",
    "max_parallel_requests",
    "global_max_parallel_requests",
    "infer_model_from_keys",
    "health_check_details",
    "forward_openai_org_id",
    "forward_client_headers_to_llm_api",
    "use_client_credentials_pass_through_routes",
    "allow_requests_on_db_unavailable",
    "custom_key_generate",
    "disable_reset_budget",
    "pass_through_endpoints",
    "ui_access_mode",
    "allowed_ips",
    "enforce_user_param",
    "user_header_name",
    "maximum_spend_logs_retention_period",
    "maximum_spend_logs_retention_interval",
    "max_response_size_mb",
    "disable_retry_on_max_parallel_request_limit_error",
    "user_api_key_cache_ttl",
    "use_redis_transaction_buffer",
    "key_management_system",
    "key_management_settings",
    "use_azure_key_vault",
    "use_google_kms",
    "supported_db_objects",
    "reject_clientside_metadata_tags",
    "use_shared_health_check",
];

/// Whether `path` (as the loader prints it, e.g. `router_settings.fallbacks`
/// or `router_settings.fallbacks[0]`) is inside a LiteLLM setting that
/// switchboard does not implement.
pub fn is_known_litellm_key(path: &str) -> bool {
    let mut parts = path.splitn(2, '.');
    let section = parts.next().unwrap_or_default();
    let section = section.split('[').next().unwrap_or(section);
    let Some(rest) = parts.next() else {
        return TOP_LEVEL.contains(&section);
    };
    let key = rest.split(['.', '[']).next().unwrap_or(rest);
    let list = match section {
        "router_settings" => ROUTER_SETTINGS,
        "litellm_settings" => LITELLM_SETTINGS,
        "general_settings" => GENERAL_SETTINGS,
        other => return TOP_LEVEL.contains(&other),
    };
    list.contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        assert!(is_known_litellm_key(
            "router_settings.enable_pre_call_checks"
        ));
        assert!(is_known_litellm_key("litellm_settings.service_callback[0]"));
        assert!(is_known_litellm_key("guardrails"));
        assert!(is_known_litellm_key("guardrails[0].guardrail_name"));
        assert!(!is_known_litellm_key("router_settings.routing_stratgy"));
        assert!(!is_known_litellm_key("model_lists"));
    }
}
