//! The duplicate matcher's CSV input (`parcours doublons`, `csvio::read_records`): any bytes. No
//! panic; the records read, written back with `csvio::write_records`, read again to the same records;
//! normalising and scoring them never panics and gives a score in [0, 1].
#![no_main]

use libfuzzer_sys::fuzz_target;
use parcours_doublons::csvio::write_records;
use parcours_doublons::{normalise, read_records, score};

fuzz_target!(|data: &[u8]| {
    let Ok(records) = read_records(data) else {
        return;
    };
    for r in &records {
        assert!(!r.record_id.is_empty());
    }
    let mut out = Vec::new();
    write_records(&mut out, &records).expect("write to memory");
    assert_eq!(
        read_records(out.as_slice()),
        Ok(records.clone()),
        "after rewrite"
    );

    let normalised: Vec<_> = records.iter().take(16).map(normalise).collect();
    for a in &normalised {
        for b in &normalised {
            let s = score(a, b);
            assert!((0.0..=1.0).contains(&s), "{s}");
        }
    }
});
