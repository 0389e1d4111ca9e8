use switchboard_api::TokenUsage;

use super::{assert_close, row, usage};
use crate::pricing::{Metered, ModelPrice, cost, cost_with};

#[test]
fn input_and_output_at_their_rates() {
    let c = cost(row("gpt-4o"), &usage(1_000, 500));
    assert_close(c.input, 1_000.0 * 2.5e-6);
    assert_close(c.output, 500.0 * 1e-5);
    assert_close(c.total, 0.0075);
    assert_eq!(
        (c.cached_input, c.cache_write, c.reasoning),
        (0.0, 0.0, 0.0)
    );
    assert_eq!(c.tier, None);
    assert!(!c.incomplete);
    assert_eq!(cost(row("gpt-4o"), &TokenUsage::default()).total, 0.0);
}

#[test]
fn cached_tokens_leave_the_input_and_cost_the_cached_rate() {
    let mut u = usage(10_000, 0);
    u.cached_input_tokens = 4_000;
    let c = cost(row("gpt-4o"), &u);
    assert_close(c.input, 6_000.0 * 2.5e-6);
    assert_close(c.cached_input, 4_000.0 * 1.25e-6);
    assert_close(c.total, 0.015 + 0.005);

    // No published cache discount: cached tokens cost the input rate.
    let c = cost(row("gpt-4-turbo"), &u);
    assert_close(c.cached_input, 4_000.0 * 1e-5);
    assert_close(c.total, 10_000.0 * 1e-5);
}

#[test]
fn cache_writes_cost_the_write_rate() {
    let mut u = usage(10_000, 1_000);
    u.cached_input_tokens = 2_000;
    u.cache_write_tokens = 3_000;
    let c = cost(row("claude-sonnet-4-5-20250929"), &u);
    assert_close(c.input, 5_000.0 * 3e-6);
    assert_close(c.cached_input, 2_000.0 * 3e-7);
    assert_close(c.cache_write, 3_000.0 * 3.75e-6);
    assert_close(c.output, 1_000.0 * 1.5e-5);
    assert_close(c.total, 0.015 + 0.0006 + 0.01125 + 0.015);

    // No cache-write price: written tokens cost the input rate.
    let c = cost(row("gpt-4o"), &u);
    assert_close(c.cache_write, 3_000.0 * 2.5e-6);
}

#[test]
fn reasoning_at_its_own_rate_when_the_model_has_one() {
    let mut u = usage(1_000, 1_000);
    u.reasoning_tokens = 600;
    let c = cost(row("gemini/gemini-2.5-flash-preview-04-17"), &u);
    assert_close(c.output, 400.0 * 6e-7);
    assert_close(c.reasoning, 600.0 * 3.5e-6);
    assert_close(c.total, 1_000.0 * 1.5e-7 + 400.0 * 6e-7 + 600.0 * 3.5e-6);

    // Otherwise reasoning is output like any other.
    let c = cost(row("o3"), &u);
    assert_close(c.reasoning, 600.0 * 8e-6);
    assert_close(c.output + c.reasoning, 1_000.0 * 8e-6);
}

#[test]
fn long_prompts_are_billed_entirely_at_the_tier_rates() {
    let pro = row("gemini/gemini-2.5-pro");
    let at = cost(pro, &usage(200_000, 1_000));
    assert_eq!(at.tier, None, "200k itself is not above 200k");
    assert_close(at.total, 200_000.0 * 1.25e-6 + 1_000.0 * 1e-5);

    let mut u = usage(200_001, 1_000);
    u.cached_input_tokens = 100_000;
    let above = cost(pro, &u);
    assert_eq!(above.tier, Some(200_000));
    assert_close(above.input, 100_001.0 * 2.5e-6);
    assert_close(above.cached_input, 100_000.0 * 2.5e-7);
    assert_close(above.output, 1_000.0 * 1.5e-5);

    let mut u = usage(300_000, 2_000);
    u.cache_write_tokens = 50_000;
    u.cached_input_tokens = 50_000;
    let c = cost(row("claude-sonnet-4-5-20250929"), &u);
    assert_close(c.input, 200_000.0 * 6e-6);
    assert_close(c.cache_write, 50_000.0 * 7.5e-6);
    assert_close(c.cached_input, 50_000.0 * 6e-7);
    assert_close(c.output, 2_000.0 * 2.25e-5);

    // A tier without a cache price: cached tokens cost the tier's input rate.
    let mut u = usage(150_000, 0);
    u.cached_input_tokens = 10_000;
    let c = cost(row("xai/grok-4-0709"), &u);
    assert_close(c.cached_input, 10_000.0 * 6e-6);
}

#[test]
fn several_tiers_pick_the_highest_one_passed() {
    let mut price = ModelPrice::per_token("m", "test", 1e-6, 2e-6);
    price.tiers = vec![
        crate::pricing::PriceTier {
            above_input_tokens: 100,
            input_cost_per_token: Some(2e-6),
            ..Default::default()
        },
        crate::pricing::PriceTier {
            above_input_tokens: 1_000,
            input_cost_per_token: Some(4e-6),
            ..Default::default()
        },
    ];
    assert_close(cost(&price, &usage(100, 0)).total, 100.0 * 1e-6);
    assert_close(cost(&price, &usage(101, 0)).total, 101.0 * 2e-6);
    assert_close(cost(&price, &usage(1_001, 0)).total, 1_001.0 * 4e-6);
}

#[test]
fn inconsistent_reports_never_cost_less_than_zero() {
    let u = TokenUsage {
        input_tokens: 100,
        output_tokens: 10,
        cached_input_tokens: 80,
        cache_write_tokens: 80,
        reasoning_tokens: 50,
    };
    let c = cost(row("claude-sonnet-4-5-20250929"), &u);
    assert_eq!(c.input, 0.0);
    assert_close(c.cached_input, 80.0 * 3e-7);
    assert_close(c.cache_write, 20.0 * 3.75e-6);
    assert_eq!(c.output, 0.0);
    assert_close(c.reasoning, 10.0 * 1.5e-5);
}

#[test]
fn time_priced_models_need_the_duration() {
    let whisper = row("whisper-1");
    let timed = Metered {
        duration_seconds: Some(60.0),
        ..Metered::default()
    };
    let c = cost_with(whisper, &usage(0, 0), &timed);
    assert_close(c.time, 0.006);
    assert_close(c.total, 0.006);
    assert!(!c.incomplete);

    let c = cost(whisper, &usage(0, 0));
    assert!(c.incomplete, "a time price without a duration is flagged");
    assert_eq!(c.total, 0.0);
    let negative = Metered {
        duration_seconds: Some(-1.0),
        ..Metered::default()
    };
    assert!(cost_with(whisper, &usage(0, 0), &negative).incomplete);
    // Token-priced models do not care.
    assert!(!cost(row("gpt-4o"), &usage(1, 1)).incomplete);
}

#[test]
fn images_priced_by_count() {
    let images = Metered {
        input_images: 3,
        ..Metered::default()
    };
    let c = cost_with(row("embed-english-v3.0"), &usage(1_000, 0), &images);
    assert_close(c.images, 3.0 * 1e-4);
    assert_close(c.total, 1_000.0 * 1e-7 + 3e-4);

    let generated = Metered {
        output_images: 2,
        ..Metered::default()
    };
    assert_close(
        cost_with(row("dall-e-3"), &usage(0, 0), &generated).total,
        0.08,
    );
    // A model without a per-image price counts images as tokens already.
    assert_eq!(cost_with(row("gpt-4o"), &usage(0, 0), &images).images, 0.0);
}

/// xorshift64*: deterministic and good enough to spread usages around.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A rate in whole pico-dollars per token. Every catalog price is a short
/// decimal, so this is exact; the test asserts it.
fn pico(rate: f64) -> i128 {
    let scaled = (rate * 1e12).round();
    assert!(
        (scaled - rate * 1e12).abs() < 1e-3,
        "{rate} is not a whole pico-dollar"
    );
    scaled as i128
}

/// Spend totals are sums of many f64 costs. Against an exact integer
/// recomputation of the same requests, the sum of a million requests must
/// agree to 1e-9 relative (the requirement), and each request to 1e-12.
#[test]
fn totals_of_many_requests_are_exact_to_1e_minus_9() {
    let models = [
        "gpt-4o",
        "gpt-4o-mini",
        "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5-20251001",
        "gemini/gemini-2.5-pro",
        "gemini/gemini-2.5-flash-preview-04-17",
        "deepseek/deepseek-chat",
        "groq/llama-3.1-8b-instant",
        "o4-mini",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut total = 0.0_f64;
    let mut exact: i128 = 0; // pico-dollars
    for _ in 0..1_000_000 {
        let price = row(models[rng.below(models.len() as u64) as usize]);
        let input = rng.below(400_000);
        let cached = rng.below(input + 1) / 2;
        let written = rng.below(input - cached + 1) / 3;
        let output = rng.below(20_000);
        let reasoning = rng.below(output + 1) / 2;
        let u = TokenUsage {
            input_tokens: input,
            output_tokens: output,
            cached_input_tokens: cached,
            cache_write_tokens: written,
            reasoning_tokens: reasoning,
        };
        let c = cost(price, &u);
        total += c.total;

        let r = price.rates(input);
        let request = i128::from(input - cached - written) * pico(r.input)
            + i128::from(cached) * pico(r.cached_input)
            + i128::from(written) * pico(r.cache_write)
            + i128::from(output - reasoning) * pico(r.output)
            + i128::from(reasoning) * pico(r.reasoning);
        let request_usd = request as f64 / 1e12;
        assert!(
            (c.total - request_usd).abs() <= request_usd * 1e-12,
            "{c:?} vs {request_usd}"
        );
        exact += request;
    }
    let exact_usd = exact as f64 / 1e12;
    let relative = (total - exact_usd).abs() / exact_usd;
    assert!(
        relative < 1e-9,
        "sum {total} vs exact {exact_usd}: {relative:e}"
    );
}
