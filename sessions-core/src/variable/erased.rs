//! A typed variable as a host sees it ([`AnyVariable`]): values converted with
//! `to_value`/`from_value`, writes under the same rule as [`Variable::set`].

use std::any::Any;
use std::task::{Context, Poll};

use super::{Variable, VariableValue, Watch};
use crate::model::{AnyVariable, Change, ValueWatch, VariableError, WatchValues};
use crate::value::TypeSchema;
use crate::{from_value, to_value, SessionError, Value};

/// A variable and the schema it is described with.
pub(super) struct Erased<T: VariableValue> {
    variable: Variable<T>,
    #[cfg_attr(not(feature = "schema"), allow(dead_code))]
    schema: TypeSchema,
}

impl<T: VariableValue> Erased<T> {
    pub(super) fn new(variable: Variable<T>, schema: TypeSchema) -> Self {
        Erased { variable, schema }
    }
}

/// `change` with its value written as a `Value`.
fn to_value_change<T: VariableValue>(change: Change<T>) -> Result<Change<Value>, VariableError> {
    let value = to_value(&change.value).map_err(|error| VariableError::Unreadable {
        type_name: std::any::type_name::<T>(),
        error,
    })?;
    Ok(change.map(|_| value))
}

impl<T: VariableValue> AnyVariable for Erased<T> {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn write_role(&self) -> Option<&str> {
        self.variable.write_role()
    }

    fn version(&self) -> u64 {
        self.variable.version()
    }

    fn read(&self) -> Result<Change<Value>, VariableError> {
        to_value_change(self.variable.last_change())
    }

    fn write(&self, value: Value) -> Result<u64, VariableError> {
        let value = from_value::<T>(value).map_err(|error| VariableError::WrongType {
            expected: std::any::type_name::<T>(),
            error,
        })?;
        self.variable
            .set_versioned(value)
            .map_err(|error| match error {
                // Not a refusal: the host answers it as a failure, with the reason.
                SessionError::Unavailable { reason } => VariableError::Unavailable { reason },
                refused => VariableError::Session(refused),
            })
    }

    fn watch_values(&self) -> ValueWatch {
        ValueWatch::new(self.variable.watch())
    }

    #[cfg(feature = "schema")]
    fn schema(&self) -> schemars::Schema {
        let generator = crate::value::schema::settings()
            .for_deserialize()
            .into_generator();
        self.schema
            .standalone(generator)
            .unwrap_or_else(|| crate::value::schema::open_schema(std::any::type_name::<T>()))
    }

    fn as_any(&self) -> &dyn Any {
        &self.variable
    }
}

impl<T: VariableValue> WatchValues for Watch<T> {
    fn poll_change(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Change<Value>, VariableError>>> {
        self.poll_changed(cx)
            .map(|change| change.map(to_value_change))
    }

    fn latest(&mut self) -> Result<Change<Value>, VariableError> {
        to_value_change(Watch::latest(self))
    }
}
