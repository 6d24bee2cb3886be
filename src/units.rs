//! Units for people: times, sizes and speed-ups, formatted the same
//! everywhere (the terminal, the text and Markdown reports, progress lines).

/// A duration in seconds with three or four significant digits, from
/// nanoseconds to seconds: a 21 ns call never shows as `0.0 µs`.
pub fn seconds(s: f64) -> String {
    let a = s.abs();
    if a >= 1.0 {
        format!("{s:.3} s")
    } else if a >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else if a >= 1e-6 {
        format!("{:.2} µs", s * 1e6)
    } else if s == 0.0 {
        "0 s".into()
    } else {
        format!("{:.1} ns", s * 1e9)
    }
}

pub fn bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / (1 << 20) as f64)
    } else if b >= 1 << 10 {
        format!("{:.0} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

/// A count with a unit people read: 3.21 G, 45.6 M, 812 k.
pub fn count(n: f64) -> String {
    match n {
        n if n >= 1e9 => format!("{:.2} G", n / 1e9),
        n if n >= 1e6 => format!("{:.2} M", n / 1e6),
        n if n >= 1e3 => format!("{:.1} k", n / 1e3),
        n => format!("{n:.0}"),
    }
}

/// "40.9x faster than python", "2.6x slower than python", "as fast as
/// python (1.02x)": a speed-up under one said the way round a person says it.
pub fn faster_or_slower(ratio: f64, reference: &str) -> String {
    if ratio >= 1.05 {
        format!("{ratio:.1}x faster than {reference}")
    } else if ratio <= 1.0 / 1.05 {
        format!("{:.1}x slower than {reference}", 1.0 / ratio)
    } else {
        format!("as fast as {reference} ({ratio:.2}x)")
    }
}

/// `text` cut to `width` characters, its last one an ellipsis when cut: no
/// line loses its end without saying so.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

/// A whole number with its thousands apart: 1,000,000.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_their_digits_down_to_nanoseconds() {
        assert_eq!(seconds(1.5402), "1.540 s");
        assert_eq!(seconds(0.0981), "98.10 ms");
        assert_eq!(seconds(0.000_061_2), "61.20 µs");
        assert_eq!(seconds(2.1e-8), "21.0 ns");
        assert_eq!(seconds(2.9e-8), "29.0 ns");
        assert_eq!(seconds(4.2e-7), "420.0 ns");
        assert_eq!(seconds(0.0), "0 s");
    }

    #[test]
    fn sizes_pick_their_unit() {
        assert_eq!(bytes(8 << 20), "8.0 MiB");
        assert_eq!(bytes(531 * 1024), "531 KiB");
        assert_eq!(bytes(12), "12 B");
    }

    #[test]
    fn counts_pick_their_unit() {
        assert_eq!(count(3.214e9), "3.21 G");
        assert_eq!(count(45_600_000.0), "45.60 M");
        assert_eq!(count(812.0), "812");
    }
}
