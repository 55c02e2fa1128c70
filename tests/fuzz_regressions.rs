//! Replays every input a fuzzer found a crash with (`fixtures/fuzz/<target>/`) through the
//! same code the fuzz target runs, so that a fixed crash stays fixed. See docs/fuzzing.md.

#[path = "../fuzz/harness.rs"]
#[allow(dead_code)]
mod harness;

#[test]
fn every_saved_crash_input_now_passes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz");
    let mut replayed = 0;
    for (target, run) in harness::TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut inputs: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        inputs.sort();
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(
                outcome.is_ok(),
                "{target}: {} crashes again",
                input.display()
            );
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no saved inputs under {}", root.display());
}
