//! `isec://` reference parsing: never a panic, and whatever parses prints back to the
//! same reference.
#![no_main]

use ironsecrets_core::Reference;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = format!("isec://{text}");
    match Reference::parse(&text) {
        Ok(reference) => {
            let printed = reference.to_string();
            let again = Reference::parse(&printed).expect("a printed reference parses");
            assert_eq!(again, reference, "{printed}");
            assert_eq!(again.key(), reference.key());
        }
        Err(err) => assert!(err.message().contains(&text), "the error quotes the reference"),
    }
});
