//! A stage named on the command line, chosen from the stage table.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy)]
pub struct StageArg(pub &'static gazette_stages::Stage);

impl ValueEnum for StageArg {
    fn value_variants<'a>() -> &'a [Self] {
        static ARGS: std::sync::LazyLock<Vec<StageArg>> =
            std::sync::LazyLock::new(|| gazette_stages::STAGES.iter().map(StageArg).collect());
        &ARGS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.name()).help(self.0.about))
    }
}
