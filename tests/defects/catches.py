"""Which gates must catch each defect of the reference app: the test side of the defect catalogue.

The app's catalogue (``castmatch_app.defects``) says what each defect breaks, who owns it and how
urgent it is; this table says where it must show. A target is a gate file or a gate inside one.

A defect that breaks a gate on every device (a journey, a missing page, the carousel's frame rate)
is proven on the desktop device alone: the gate is the same on each device, and the clean matrix
and the full gate run every device. A late layout shift is proven on the phone, where it shows
(Lighthouse still scores the page 95 with it; the all-404 deployment proves the Lighthouse gate red).
"""

from __future__ import annotations

CATCHES: dict[str, tuple[str, ...]] = {
    "slow-recommendations": ("suites/ml/test_inference_latency.py",),
    "degraded-model": ("suites/ml/test_model_quality.py::test_precision_and_recall_at_10",),
    "drifted-data": ("suites/ml/test_model_quality.py::test_feature_drift_psi",),
    "unbalanced-ab": ("suites/ml/test_model_quality.py::test_ab_assignment_sticky_and_balanced",),
    "no-model-fallback": (
        "suites/ml/test_model_quality.py::test_edge_cases_and_fallback",
        "suites/api/test_faults.py::test_model_down_serves_popular_fallback",
    ),
    "slow-api": ("suites/load/test_load.py", "suites/load/test_latency_probe.py",),
    "no-rate-limit": ("suites/api/test_ratelimit.py",),
    "circuit-never-opens": ("suites/api/test_faults.py::test_circuit_breaker_opens_falls_back_and_recovers",),
    "no-cache": ("suites/load/test_load.py",),
    "api-fast-500": ("suites/load/test_load.py", "suites/load/test_latency_probe.py"),
    "no-static-cache-headers": ("suites/performance/test_assets.py::test_static_cache_headers",),
    "api-v0-no-deprecation": ("suites/api/test_contract.py::test_api_v0_announces_deprecation",),
    "render-blocking-script": ("suites/performance/test_assets.py::test_no_render_blocking_resources",),
    "late-banner-cls": ("suites/performance/test_vitals.py::test_core_web_vitals[home-mobile-chromium]",),
    "bloated-bundle": ("suites/performance/test_assets.py::test_js_css_budgets",),
    "sw-no-cache": ("suites/journeys/test_pwa.py::test_offline_shell_and_booking[desktop]",),
    "eager-images": ("suites/performance/test_assets.py::test_below_fold_images_lazy",),
    "key-page-404": (
        "suites/performance/test_vitals.py::test_core_web_vitals[join-desktop-chromium]",
        "suites/performance/test_assets.py::test_js_css_budgets",
        "suites/motion/test_motion.py",
    ),
    "plain-404": ("suites/journeys/test_navigation.py::test_unknown_url_shows_friendly_404[desktop]",),
    "huge-image": ("suites/performance/test_assets.py::test_modern_images",),
    "no-graceful-shutdown": (
        "suites/operations/test_lifecycle.py::test_sigterm_finishes_in_flight_requests",
        "suites/load/test_zero_downtime.py",
    ),
    "missing-metrics": ("suites/operations/test_observability.py::test_metrics_expose_dashboard_series",),
    "crash-under-load": ("suites/load/test_load.py",),
    "backup-loses-rows": ("suites/operations/test_lifecycle.py::test_backup_restore_round_trip",),
    "no-request-id": ("suites/operations/test_observability.py::test_logs_are_json_with_request_ids",),
    "webhook-double-process": ("suites/api/test_webhooks.py::test_webhook_redelivery_is_applied_once",),
    "webhook-out-of-order": ("suites/api/test_webhooks.py::test_webhook_out_of_order_events_end_in_the_newest_state",),
    "webhook-bad-signature": ("suites/api/test_webhooks.py::test_webhook_rejects_bad_signatures",),
    "openapi-drift": ("suites/api/test_contract.py::test_key_responses_match_the_openapi_contract",),
    "token-no-expiry": ("suites/api/test_faults.py::test_expired_access_tokens_are_refused",),
    "refresh-token-reuse": ("suites/api/test_tokens.py",),
    "readyz-lies": ("suites/operations/test_lifecycle.py::test_health_probes_over_start_and_shutdown",),
    "missing-security-header": ("suites/security/test_headers.py",),
    "reflected-xss": ("suites/security/test_probes.py::test_xss_payloads_never_run",),
    "sql-injection": ("suites/security/test_probes.py::test_sql_injection_on_search_filters",),
    "idor": ("suites/security/test_access.py",),
    "stacktrace-500": (
        "suites/api/test_faults.py::test_error_pages_hide_stack_traces",
        "suites/journeys/test_errors.py::test_server_error_page_and_recovery[desktop]",
    ),
    "broken-shortlist-button": (
        "suites/journeys/test_casting_director.py::test_casting_director_books_an_audition[desktop]",
    ),
    "double-booking": ("suites/journeys/test_booking.py::test_a_booked_slot_is_refused_to_a_second_booking",),
    "edge-case-500": (
        "suites/api/test_edge_cases.py",
        "suites/security/test_probes.py::test_hostile_input_is_refused",
    ),
    "literal-colour": ("suites/content/test_design_tokens.py",),
    "low-contrast-dark": ("suites/accessibility/test_axe.py::test_dark_mode_contrast[chromium]",),
    "theme-flash": ("suites/interaction/test_theme.py",),
    "leaked-placeholder": ("suites/content/test_copy.py::test_no_placeholder_text_and_glossary_terms",),
    "click-here-links": ("suites/content/test_copy.py::test_descriptive_links_buttons_and_labels",),
    "vague-errors": ("suites/content/test_copy.py::test_error_messages_say_what_to_do",),
    "font-no-display": ("suites/performance/test_assets.py::test_font_loading",),
    "missing-hindi-key": ("suites/content/test_localisation.py::test_translations_complete_and_rendered",),
    "broken-rtl": ("suites/content/test_localisation.py::test_right_to_left_languages",),
    "lost-filter-on-back": ("suites/journeys/test_navigation.py::test_filters_survive_deep_links_and_back[desktop]",),
    "literal-search": ("suites/journeys/test_search.py::test_search_finds_talent_as_people_phrase_it",),
    "onboarding-dead-end": (
        "suites/journeys/test_talent_onboarding.py::test_talent_signs_up_in_steps[desktop]",
        "suites/content/test_information_architecture.py::test_onboarding_first_time_flow_completes",
    ),
    "sitemap-missing-page": (
        "suites/journeys/test_navigation.py::test_sitemap_matches_navigation",
        "suites/content/test_information_architecture.py::test_sitemap_matches_navigation_and_depth",
    ),
    "janky-animation": ("suites/performance/test_frames.py::test_carousel_frame_rate[desktop-chromium]",),
    "motion-ignores-reduced": ("suites/motion/test_motion.py::test_reduced_motion_is_honoured",),
    "carousel-no-pause": ("suites/motion/test_motion.py::test_moving_content_can_be_paused",),
    "slow-transitions": ("suites/motion/test_motion.py::test_transitions_within_motion_tokens",),
    "small-targets": ("suites/interaction/test_targets.py",),
    "double-submit": (
        "suites/interaction/test_feedback.py::test_rapid_clicks_submit_once",
        "suites/journeys/test_forms.py::test_booking_form_feedback_and_single_submit[desktop]",
    ),
    "silent-feedback": ("suites/interaction/test_feedback.py::test_feedback_is_announced",),
    "keyboard-trap": ("suites/accessibility/test_keyboard.py::test_keyboard_operation",),
    "no-focus-outline": ("suites/accessibility/test_keyboard.py::test_focus_appearance",),
    "reflow-overflow": ("suites/accessibility/test_layout.py::test_reflow_at_320px",),
    "missing-h1": ("suites/accessibility/test_structure.py::test_landmarks_and_headings",),
    "bad-landmarks": ("suites/accessibility/test_structure.py::test_landmarks_and_headings",),
    "styled-heading": ("suites/accessibility/test_structure.py::test_landmarks_and_headings",),
    "select-navigates": ("suites/accessibility/test_change_on_input.py",),
    "read-more-links": ("suites/accessibility/test_link_purpose.py",),
    "gradient-text-contrast": ("suites/accessibility/test_axe.py::test_wcag_aaa_light_and_dark",),
    "overlapping-text": ("suites/accessibility/test_layout.py::test_breakpoints_and_orientation",),
}


def folder_of(target: str) -> str:
    """The suite folder of a gate target (``suites/api/test_x.py::test_y`` -> ``suites/api``)."""
    return "/".join(target.split("::")[0].split("/")[:2])
