//! Guided fixes: a plan of exact changes built from the check findings (`plan`, sans-IO), the
//! IO that applies and undoes it through the Salesforce client (`apply`), and the same plan as
//! Salesforce DX source for change control (`metadata`).

pub mod apply;
pub mod metadata;
pub mod plan;

pub use apply::{apply, plan_for, undo, Applied, ChangeResult, Created, Outcome};
pub use plan::{build, Change, ChangeKind, Facts, FixPlan, Instruction};
