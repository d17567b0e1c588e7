//! A plugin: a second crate whose exported methods sit in the same method table as the
//! application's, because `#[export_method]` registers each function where it is defined
//! and [`sessions_core::methods()`] collects them from every crate linked into the program.
//!
//! In Optix, each NetLogic exports its own `[ExportMethod]`s; here each crate does. This one
//! knows a few bakery recipes.

use sessions_core::{export_method, SessionError};

/// A recipe: its name, how many pieces one batch makes, and the oven temperature.
struct Recipe {
    name: &'static str,
    batch: u32,
    oven_celsius: f64,
}

/// The recipes, sorted by name.
const RECIPES: [Recipe; 3] = [
    Recipe {
        name: "baguette",
        batch: 24,
        oven_celsius: 240.0,
    },
    Recipe {
        name: "brioche",
        batch: 12,
        oven_celsius: 180.0,
    },
    Recipe {
        name: "pretzel",
        batch: 40,
        oven_celsius: 230.0,
    },
];

/// The names of the recipes this plugin knows, sorted.
///
/// Needs no session: it reads nothing that belongs to a user.
#[export_method(name = "ListRecipes", session = none)]
pub fn list_recipes() -> Vec<String> {
    RECIPES
        .iter()
        .map(|recipe| recipe.name.to_owned())
        .collect()
}

/// Looks up a recipe: how many pieces a batch makes and how hot the oven must be.
///
/// On failure (unknown recipe, no session) `batch` is 0 and `oven_celsius` is -1.0, as an
/// Optix method would answer through its `out` parameters.
#[export_method(name = "GetRecipe", sentinel = 0)]
pub fn get_recipe(
    name: String,
    batch: &mut u32,
    #[out(sentinel = -1.0)] oven_celsius: &mut f64,
) -> Result<(), RecipeError> {
    let recipe = RECIPES
        .iter()
        .find(|recipe| recipe.name == name)
        .ok_or(RecipeError::Unknown(name))?;
    *batch = recipe.batch;
    *oven_celsius = recipe.oven_celsius;
    Ok(())
}

/// Why [`get_recipe`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecipeError {
    /// No recipe has this name.
    Unknown(String),
    /// The call ran outside any session (`GetRecipe` requires one).
    Session(SessionError),
}

impl std::fmt::Display for RecipeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecipeError::Unknown(name) => write!(f, "no recipe is named {name:?}"),
            RecipeError::Session(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for RecipeError {}

// `session = require` (the default) needs this, to report a call made outside any session.
impl From<SessionError> for RecipeError {
    fn from(error: SessionError) -> RecipeError {
        RecipeError::Session(error)
    }
}
