//! OPC UA data types of exported methods' parameters and return values, and the conversion
//! of arguments ([`Variant`] → [`Value`]) and results ([`Value`] → [`Variant`]).
//!
//! A parameter's Rust type is known as written (`i32`, `Vec<String>`, `Option<f64>`,
//! `Recipe`), so its OPC UA type is read from that text:
//!
//! | Rust | OPC UA |
//! | --- | --- |
//! | `bool` | Boolean |
//! | `i8` `u8` `i16` `u16` `i32` `u32` `i64` `u64` | SByte Byte Int16 UInt16 Int32 UInt32 Int64 UInt64 |
//! | `isize` `usize` | Int64 UInt64 |
//! | `f32` `f64` | Float Double |
//! | `String`, `&str`, `char` (any path ending so) | String |
//! | `Vec<T>`, `[T; N]`, `&[T]`, `Box<[T]>` of one of the above | an array (value rank 1) of it |
//! | `Option<T>` | `T`; an empty variant is `None` |
//! | anything else (structs, enums, maps, nested arrays) | String, holding the value as JSON text |
//!
//! Arguments are checked by variant type before anything runs: a Boolean parameter takes a
//! Boolean, a String one a String, a float one a Float or Double, and an integer one any
//! integer variant whose value fits (clients such as Python's `asyncua` send a plain
//! integer as Int64; 300 for a `u8` is refused by the core's range check). No conversion
//! between kinds happens: the String "5" is not an integer.

use opcua::types::{
    Argument, Array, DataTypeId, LocalizedText, NodeId, UAString, Variant, VariantScalarTypeId,
};

use crate::Value;

/// The OPC UA scalar type a Rust type is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scalar {
    Boolean,
    SByte,
    Byte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float,
    Double,
    String,
    /// Any other type: JSON text in a String.
    Json,
}

/// How one parameter or return value travels over OPC UA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct UaType {
    pub scalar: Scalar,
    /// An array of `scalar` (value rank 1).
    pub array: bool,
    /// An `Option`: an empty variant stands for `None`.
    pub optional: bool,
}

impl UaType {
    /// The OPC UA type of the Rust type written `rust` (as `ParamInfo::ty` gives it).
    pub fn of(rust: &str) -> UaType {
        let text = normalize(rust);
        UaType::of_normalized(&text)
    }

    fn of_normalized(text: &str) -> UaType {
        let text = strip_reference(text);
        if let Some(inner) = generic_arg(text, "Option") {
            let inner = UaType::of_normalized(inner);
            return if inner.optional {
                UaType::json()
            } else {
                UaType {
                    optional: true,
                    ..inner
                }
            };
        }
        if let Some(element) = element_type(text) {
            return match scalar(strip_reference(element)) {
                Some(scalar) if scalar != Scalar::Json => UaType {
                    scalar,
                    array: true,
                    optional: false,
                },
                _ => UaType::json(),
            };
        }
        UaType {
            scalar: scalar(text).unwrap_or(Scalar::Json),
            array: false,
            optional: false,
        }
    }

    fn json() -> UaType {
        UaType {
            scalar: Scalar::Json,
            array: false,
            optional: false,
        }
    }

    /// The node id of its OPC UA data type.
    pub fn data_type(&self) -> DataTypeId {
        match self.scalar {
            Scalar::Boolean => DataTypeId::Boolean,
            Scalar::SByte => DataTypeId::SByte,
            Scalar::Byte => DataTypeId::Byte,
            Scalar::Int16 => DataTypeId::Int16,
            Scalar::UInt16 => DataTypeId::UInt16,
            Scalar::Int32 => DataTypeId::Int32,
            Scalar::UInt32 => DataTypeId::UInt32,
            Scalar::Int64 => DataTypeId::Int64,
            Scalar::UInt64 => DataTypeId::UInt64,
            Scalar::Float => DataTypeId::Float,
            Scalar::Double => DataTypeId::Double,
            Scalar::String | Scalar::Json => DataTypeId::String,
        }
    }

    /// The `Argument` that describes a parameter or result of this type named `name`;
    /// `rust` (the type as written) goes into the description.
    pub fn argument(&self, name: &str, rust: &str) -> Argument {
        let description = match self.scalar {
            Scalar::Json => format!("{rust}, as JSON text"),
            _ => rust.to_owned(),
        };
        Argument {
            name: UAString::from(name),
            data_type: NodeId::from(self.data_type()),
            value_rank: if self.array { 1 } else { -1 },
            array_dimensions: self.array.then(|| vec![0]),
            description: LocalizedText::new("", &description),
        }
    }

    /// The value of an argument sent as `variant`, or why it does not fit this type.
    pub fn read_argument(&self, variant: &Variant) -> Result<Value, String> {
        if self.optional && matches!(variant, Variant::Empty) {
            return Ok(Value::Null);
        }
        if !self.array {
            return scalar_to_value(self.scalar, variant);
        }
        let Variant::Array(array) = variant else {
            return Err(format!(
                "expected an array of {}, got {}",
                scalar_name(self.scalar),
                variant_name(variant)
            ));
        };
        if array.dimensions.as_ref().is_some_and(|d| d.len() > 1) {
            return Err("expected a one-dimensional array, got a matrix".to_owned());
        }
        array
            .values
            .iter()
            .enumerate()
            .map(|(index, element)| {
                scalar_to_value(self.scalar, element).map_err(|why| format!("at [{index}]: {why}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }

    /// The variant a result of this type is sent as: `Null` (a failed call's return value,
    /// `None`) is an empty variant. `Err` says why the value does not fit (a bug in the
    /// mapping: the value came from the type).
    pub fn write_result(&self, value: Value) -> Result<Variant, String> {
        if value == Value::Null {
            return Ok(Variant::Empty);
        }
        if !self.array {
            return scalar_to_variant(self.scalar, value);
        }
        let Value::Array(values) = value else {
            return Err(format!("expected an array, got {}", value.kind()));
        };
        let values = values
            .into_iter()
            .map(|value| scalar_to_variant(self.scalar, value))
            .collect::<Result<Vec<_>, _>>()?;
        let array = Array::new(variant_type(self.scalar), values)
            .map_err(|error| format!("cannot make an OPC UA array: {error:?}"))?;
        Ok(Variant::Array(Box::new(array)))
    }
}

/// The type's text without whitespace, lifetimes (`&'a str` is `&str`, `Cow<'static, str>`
/// is `Cow<str>`) or `mut` after `&`.
fn normalize(rust: &str) -> String {
    let mut text = String::with_capacity(rust.len());
    for word in rust.split_whitespace().filter(|word| *word != "mut") {
        let mut chars = word.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\'' {
                text.push(c);
                continue;
            }
            // A lifetime: its name, then the `,` that separates it from the next argument.
            while chars
                .next_if(|c| c.is_alphanumeric() || *c == '_')
                .is_some()
            {}
            chars.next_if_eq(&',');
        }
    }
    text
}

/// `T` of `&T` (normalized: no lifetime, no `mut`).
fn strip_reference(text: &str) -> &str {
    text.strip_prefix('&').unwrap_or(text)
}

/// The argument of `Name<…>` (any path ending in `Name`), if `text` is one.
fn generic_arg<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let inner = text.strip_suffix('>')?;
    let (path, arg) = inner.split_once('<')?;
    let last = path.rsplit("::").next()?;
    (last == name).then_some(arg)
}

/// The element type of a sequence: `Vec<T>`, `VecDeque<T>`, `[T; N]`, `[T]`, `Box<[T]>`.
fn element_type(text: &str) -> Option<&str> {
    if let Some(inner) = generic_arg(text, "Vec").or_else(|| generic_arg(text, "VecDeque")) {
        return Some(inner);
    }
    if let Some(inner) = generic_arg(text, "Box") {
        return element_type(inner).filter(|_| inner.starts_with('['));
    }
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    Some(match inner.rsplit_once(';') {
        Some((element, _length)) => element,
        None => inner,
    })
}

/// The scalar a non-generic type is sent as, `None` for a generic one not handled above.
fn scalar(text: &str) -> Option<Scalar> {
    if let Some(inner) = generic_arg(text, "Cow")
        .or_else(|| generic_arg(text, "Box"))
        .or_else(|| generic_arg(text, "Arc"))
        .or_else(|| generic_arg(text, "Rc"))
    {
        return (strip_reference(inner) == "str").then_some(Scalar::String);
    }
    if text.contains('<') {
        return None;
    }
    Some(match text.rsplit("::").next().unwrap_or(text) {
        "bool" => Scalar::Boolean,
        "i8" => Scalar::SByte,
        "u8" => Scalar::Byte,
        "i16" => Scalar::Int16,
        "u16" => Scalar::UInt16,
        "i32" => Scalar::Int32,
        "u32" => Scalar::UInt32,
        "i64" | "isize" => Scalar::Int64,
        "u64" | "usize" => Scalar::UInt64,
        "f32" => Scalar::Float,
        "f64" => Scalar::Double,
        "String" | "str" | "char" => Scalar::String,
        _ => Scalar::Json,
    })
}

fn variant_type(scalar: Scalar) -> VariantScalarTypeId {
    match scalar {
        Scalar::Boolean => VariantScalarTypeId::Boolean,
        Scalar::SByte => VariantScalarTypeId::SByte,
        Scalar::Byte => VariantScalarTypeId::Byte,
        Scalar::Int16 => VariantScalarTypeId::Int16,
        Scalar::UInt16 => VariantScalarTypeId::UInt16,
        Scalar::Int32 => VariantScalarTypeId::Int32,
        Scalar::UInt32 => VariantScalarTypeId::UInt32,
        Scalar::Int64 => VariantScalarTypeId::Int64,
        Scalar::UInt64 => VariantScalarTypeId::UInt64,
        Scalar::Float => VariantScalarTypeId::Float,
        Scalar::Double => VariantScalarTypeId::Double,
        Scalar::String | Scalar::Json => VariantScalarTypeId::String,
    }
}

fn scalar_name(scalar: Scalar) -> &'static str {
    match scalar {
        Scalar::Boolean => "Boolean",
        Scalar::SByte
        | Scalar::Byte
        | Scalar::Int16
        | Scalar::UInt16
        | Scalar::Int32
        | Scalar::UInt32
        | Scalar::Int64
        | Scalar::UInt64 => "an integer",
        Scalar::Float | Scalar::Double => "Float or Double",
        Scalar::String => "String",
        Scalar::Json => "String (JSON text)",
    }
}

/// The name of a variant's type, for an error message.
fn variant_name(variant: &Variant) -> String {
    match variant {
        Variant::Empty => "an empty variant".to_owned(),
        Variant::Array(array) => format!("an array of {:?}", array.value_type),
        other => match other.scalar_type_id() {
            Some(id) => format!("{id:?}"),
            None => "a variant of another type".to_owned(),
        },
    }
}

/// One scalar argument: strictly by variant type (see the module docs).
fn scalar_to_value(scalar: Scalar, variant: &Variant) -> Result<Value, String> {
    if is_integer(scalar) {
        if let Some(value) = integer_of(variant) {
            return Ok(value);
        }
    }
    let value = match (scalar, variant) {
        (Scalar::Boolean, Variant::Boolean(b)) => Value::Bool(*b),
        (Scalar::Float | Scalar::Double, Variant::Float(f)) => Value::Float(f64::from(*f)),
        (Scalar::Float | Scalar::Double, Variant::Double(f)) => Value::Float(*f),
        (Scalar::String, Variant::String(text)) => match text.value() {
            Some(text) => Value::String(text.clone()),
            None => Value::Null,
        },
        (Scalar::Json, Variant::String(text)) => {
            let text = text.as_ref();
            Value::from_json_str(text).map_err(|error| format!("not JSON text: {error}"))?
        }
        _ => {
            return Err(format!(
                "expected {}, got {}",
                scalar_name(scalar),
                variant_name(variant)
            ))
        }
    };
    Ok(value)
}

fn is_integer(scalar: Scalar) -> bool {
    matches!(
        scalar,
        Scalar::SByte
            | Scalar::Byte
            | Scalar::Int16
            | Scalar::UInt16
            | Scalar::Int32
            | Scalar::UInt32
            | Scalar::Int64
            | Scalar::UInt64
    )
}

/// An integer variant's value, canonical (`Int` when it fits in an `i64`).
fn integer_of(variant: &Variant) -> Option<Value> {
    Some(match *variant {
        Variant::SByte(v) => Value::from(v),
        Variant::Byte(v) => Value::from(v),
        Variant::Int16(v) => Value::from(v),
        Variant::UInt16(v) => Value::from(v),
        Variant::Int32(v) => Value::from(v),
        Variant::UInt32(v) => Value::from(v),
        Variant::Int64(v) => Value::from(v),
        Variant::UInt64(v) => Value::from(v),
        _ => return None,
    })
}

/// One scalar result, as the type says.
fn scalar_to_variant(scalar: Scalar, value: Value) -> Result<Variant, String> {
    fn int<T: TryFrom<i64> + TryFrom<u64>>(value: &Value) -> Option<T> {
        match *value {
            Value::Int(v) => T::try_from(v).ok(),
            Value::UInt(v) => T::try_from(v).ok(),
            _ => None,
        }
    }
    let variant = match (scalar, &value) {
        (Scalar::Boolean, Value::Bool(b)) => Some(Variant::Boolean(*b)),
        (Scalar::SByte, _) => int::<i8>(&value).map(Variant::SByte),
        (Scalar::Byte, _) => int::<u8>(&value).map(Variant::Byte),
        (Scalar::Int16, _) => int::<i16>(&value).map(Variant::Int16),
        (Scalar::UInt16, _) => int::<u16>(&value).map(Variant::UInt16),
        (Scalar::Int32, _) => int::<i32>(&value).map(Variant::Int32),
        (Scalar::UInt32, _) => int::<u32>(&value).map(Variant::UInt32),
        (Scalar::Int64, _) => int::<i64>(&value).map(Variant::Int64),
        (Scalar::UInt64, _) => int::<u64>(&value).map(Variant::UInt64),
        // An `f32` was widened to `f64` on its way out of the method: narrowing gives it
        // back exactly.
        #[allow(clippy::cast_possible_truncation)]
        (Scalar::Float, Value::Float(f)) => Some(Variant::Float(*f as f32)),
        (Scalar::Double, Value::Float(f)) => Some(Variant::Double(*f)),
        (Scalar::String, Value::String(text)) => {
            Some(Variant::String(UAString::from(text.as_str())))
        }
        (Scalar::Json, _) => Some(Variant::String(UAString::from(value.to_json_string()))),
        _ => None,
    };
    variant.ok_or_else(|| format!("expected {}, got {value}", scalar_name(scalar)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(rust: &str) -> (Scalar, bool, bool) {
        let ty = UaType::of(rust);
        (ty.scalar, ty.array, ty.optional)
    }

    #[test]
    fn rust_types_map_to_opc_ua_types() {
        assert_eq!(of("i32"), (Scalar::Int32, false, false));
        assert_eq!(of("u8"), (Scalar::Byte, false, false));
        assert_eq!(of("usize"), (Scalar::UInt64, false, false));
        assert_eq!(of("f32"), (Scalar::Float, false, false));
        assert_eq!(of("bool"), (Scalar::Boolean, false, false));
        assert_eq!(of("&str"), (Scalar::String, false, false));
        assert_eq!(of("&'a str"), (Scalar::String, false, false));
        assert_eq!(of("&'a mut Vec<u8>"), (Scalar::Byte, true, false));
        assert_eq!(of("std::string::String"), (Scalar::String, false, false));
        assert_eq!(of("Cow<'static, str>"), (Scalar::String, false, false));
        assert_eq!(of("Vec<String>"), (Scalar::String, true, false));
        assert_eq!(of("[i64; 3]"), (Scalar::Int64, true, false));
        assert_eq!(of("&[f64]"), (Scalar::Double, true, false));
        assert_eq!(of("Box<[u16]>"), (Scalar::UInt16, true, false));
        assert_eq!(of("Option<i32>"), (Scalar::Int32, false, true));
        assert_eq!(of("Option<Vec<bool>>"), (Scalar::Boolean, true, true));
        assert_eq!(of("Option<Option<i32>>"), (Scalar::Json, false, false));
        assert_eq!(of("Vec<Vec<i32>>"), (Scalar::Json, false, false));
        assert_eq!(of("Recipe"), (Scalar::Json, false, false));
        assert_eq!(of("HashMap<String, i32>"), (Scalar::Json, false, false));
        assert_eq!(of("Vec<Recipe>"), (Scalar::Json, false, false));
        assert_eq!(of("i128"), (Scalar::Json, false, false));
    }

    #[test]
    fn arguments_are_checked_by_variant_type_not_converted() {
        let int = UaType::of("i64");
        assert_eq!(int.read_argument(&Variant::Int32(5)), Ok(Value::Int(5)));
        assert_eq!(
            int.read_argument(&Variant::UInt64(u64::MAX)),
            Ok(Value::UInt(u64::MAX))
        );
        let refused = int.read_argument(&Variant::from("5")).expect_err("refused");
        assert_eq!(refused, "expected an integer, got String");
        assert!(int.read_argument(&Variant::Double(5.0)).is_err());
        assert!(int.read_argument(&Variant::Empty).is_err());
        assert_eq!(
            UaType::of("Option<i64>").read_argument(&Variant::Empty),
            Ok(Value::Null)
        );
        assert!(UaType::of("bool")
            .read_argument(&Variant::Int32(1))
            .is_err());
        assert!(UaType::of("String")
            .read_argument(&Variant::Boolean(true))
            .is_err());
        assert_eq!(
            UaType::of("f64").read_argument(&Variant::Float(0.5)),
            Ok(Value::Float(0.5))
        );
    }

    #[test]
    fn arrays_and_json_arguments() {
        let list = UaType::of("Vec<i32>");
        let array = Variant::from(vec![1i32, 2, 3]);
        assert_eq!(
            list.read_argument(&array),
            Ok(Value::Array(vec![1.into(), 2.into(), 3.into()]))
        );
        let mixed = Variant::Array(Box::new(Array {
            value_type: VariantScalarTypeId::Variant,
            values: vec![Variant::Int32(1), Variant::from("x")],
            dimensions: None,
        }));
        assert_eq!(
            list.read_argument(&mixed).expect_err("refused"),
            "at [1]: expected an integer, got String"
        );
        let json = UaType::of("Recipe");
        let value = json
            .read_argument(&Variant::from(r#"{"name":"bread","minutes":40}"#))
            .expect("JSON text");
        assert_eq!(value.to_json_string(), r#"{"minutes":40,"name":"bread"}"#);
        assert!(json
            .read_argument(&Variant::from("{not json"))
            .expect_err("refused")
            .starts_with("not JSON text"));
    }

    #[test]
    fn results_become_variants_of_the_declared_type() {
        assert_eq!(
            UaType::of("i32").write_result(Value::Int(-1)),
            Ok(Variant::Int32(-1))
        );
        assert_eq!(
            UaType::of("u8").write_result(Value::Int(255)),
            Ok(Variant::Byte(255))
        );
        assert_eq!(
            UaType::of("f32").write_result(Value::Float(0.25)),
            Ok(Variant::Float(0.25))
        );
        assert_eq!(
            UaType::of("i32").write_result(Value::Null),
            Ok(Variant::Empty)
        );
        assert!(UaType::of("i8").write_result(Value::Int(300)).is_err());
        assert_eq!(
            UaType::of("Vec<String>")
                .write_result(Value::Array(vec!["a".into(), "b".into()]))
                .expect("an array"),
            Variant::from(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            UaType::of("Recipe").write_result(Value::Array(vec![1.into()])),
            Ok(Variant::from("[1]"))
        );
    }

    #[test]
    fn no_argument_of_any_kind_panics_any_type() {
        let variants = [
            Variant::Empty,
            Variant::Boolean(true),
            Variant::SByte(-1),
            Variant::Byte(255),
            Variant::Int16(-3),
            Variant::UInt16(3),
            Variant::Int32(i32::MIN),
            Variant::UInt32(u32::MAX),
            Variant::Int64(i64::MIN),
            Variant::UInt64(u64::MAX),
            Variant::Float(f32::NAN),
            Variant::Double(f64::INFINITY),
            Variant::String(UAString::null()),
            Variant::from(""),
            Variant::from("\u{0}{[\"}"),
            Variant::from(vec![1u8, 2]),
            Variant::from(vec!["x".to_owned()]),
            Variant::ByteString(vec![0xff].into()),
            Variant::Array(Box::new(Array {
                value_type: VariantScalarTypeId::Int32,
                values: vec![Variant::Int32(1); 4],
                dimensions: Some(vec![2, 2]),
            })),
            Variant::from(NodeId::new(1, "x")),
        ];
        let types = [
            "bool",
            "i8",
            "u8",
            "i16",
            "u16",
            "i32",
            "u32",
            "i64",
            "u64",
            "f32",
            "f64",
            "String",
            "Recipe",
            "Vec<i32>",
            "Option<u8>",
            "Option<Vec<String>>",
            "[f64; 2]",
        ];
        for rust in types {
            let ty = UaType::of(rust);
            for variant in &variants {
                // Either a value or a reason: never a panic.
                let _ = ty.read_argument(variant);
            }
        }
    }

    #[test]
    fn arguments_describe_name_type_and_rank() {
        let argument = UaType::of("Vec<u32>").argument("ids", "Vec<u32>");
        assert_eq!(argument.name.as_ref(), "ids");
        assert_eq!(argument.data_type, NodeId::from(DataTypeId::UInt32));
        assert_eq!(argument.value_rank, 1);
        let argument = UaType::of("Recipe").argument("recipe", "Recipe");
        assert_eq!(argument.data_type, NodeId::from(DataTypeId::String));
        assert_eq!(argument.value_rank, -1);
        assert_eq!(argument.description.text.as_ref(), "Recipe, as JSON text");
    }
}
