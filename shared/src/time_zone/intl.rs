//! Zone offsets in the browser, from its own `Intl` time zone data: the tz database is not
//! shipped in the WebAssembly (it was most of its data section).

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use js_sys::{Array, Date, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// One formatter per zone: building an `Intl.DateTimeFormat` costs far more than using it.
    static FORMATTERS: RefCell<HashMap<&'static str, Option<js_sys::Intl::DateTimeFormat>>> =
        RefCell::new(HashMap::new());
}

/// Seconds the wall clock in `name` is ahead of UTC at `at` (0 if the browser does not know
/// the zone).
pub(super) fn offset_seconds(name: &'static str, at: DateTime<Utc>) -> i32 {
    FORMATTERS.with(|formatters| {
        let mut formatters = formatters.borrow_mut();
        let formatter = formatters.entry(name).or_insert_with(|| formatter(name));
        formatter
            .as_ref()
            .and_then(|formatter| wall_clock_seconds(formatter, at))
            .map_or(0, |wall| {
                i32::try_from(wall - at.timestamp()).unwrap_or_default()
            })
    })
}

/// `Intl.DateTimeFormat("en-US", {timeZone, hourCycle: "h23", year..second: "numeric"})`,
/// or `None` when the browser refuses the zone (the constructor throws).
fn formatter(name: &str) -> Option<js_sys::Intl::DateTimeFormat> {
    let options = Object::new();
    let set = |key: &str, value: &str| Reflect::set(&options, &key.into(), &value.into());
    set("timeZone", name).ok()?;
    set("hourCycle", "h23").ok()?;
    for field in ["year", "month", "day", "hour", "minute", "second"] {
        set(field, "numeric").ok()?;
    }
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let constructor: js_sys::Function = Reflect::get(&intl, &"DateTimeFormat".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let args = Array::of2(&"en-US".into(), &options);
    Reflect::construct(&constructor, &args)
        .ok()?
        .dyn_into()
        .ok()
}

/// The zone's wall clock at `at` as seconds since 1970-01-01 00:00 of that wall clock.
fn wall_clock_seconds(formatter: &js_sys::Intl::DateTimeFormat, at: DateTime<Utc>) -> Option<i64> {
    #[expect(
        clippy::cast_precision_loss,
        reason = "milliseconds of real dates fit in f64"
    )]
    let date = Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let mut fields = [0_u32; 5];
    let mut year = 0_i32;
    for part in formatter.format_to_parts(&date).iter() {
        let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
        let value = Reflect::get(&part, &"value".into()).ok()?.as_string()?;
        let slot = match kind.as_str() {
            "year" => {
                year = value.parse().ok()?;
                continue;
            }
            "month" => 0,
            "day" => 1,
            "hour" => 2,
            "minute" => 3,
            "second" => 4,
            _ => continue,
        };
        fields[slot] = value.parse().ok()?;
    }
    let [month, day, hour, minute, second] = fields;
    // Some engines say 24 for midnight even with h23.
    let wall = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour % 24, minute, second)?;
    Some(wall.and_utc().timestamp())
}
