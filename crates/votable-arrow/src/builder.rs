//! Arrow array builders for the column layouts of [`crate::datatype::Kind`], writing
//! straight into value vectors and null bitmaps (no per-cell allocation).

use std::sync::Arc;

use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, UInt8Type,
};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BooleanArray, FixedSizeListArray, ListArray, PrimitiveArray,
    StringArray,
};
use arrow_buffer::{BooleanBufferBuilder, Buffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, FieldRef};

use crate::datatype::{Elem, Kind, item_field};
use crate::error::{Error, Result};

/// Values of one leaf (non-list) array.
#[derive(Debug)]
pub(crate) enum Values {
    Bool(BooleanBufferBuilder),
    U8(Vec<u8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// Two values (real, imaginary) per element.
    C32(Vec<f32>),
    /// Two values (real, imaginary) per element.
    C64(Vec<f64>),
    Utf8 {
        offsets: Vec<i32>,
        data: Vec<u8>,
    },
    Ts(Vec<i64>),
}

/// A leaf array under construction.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub values: Values,
    pub nulls: NullBufferBuilder,
}

impl Leaf {
    pub(crate) fn for_elem(elem: Elem, capacity: usize) -> Leaf {
        let values = match elem {
            Elem::Bool | Elem::Bit => Values::Bool(BooleanBufferBuilder::new(capacity)),
            Elem::U8 => Values::U8(Vec::with_capacity(capacity)),
            Elem::I16 => Values::I16(Vec::with_capacity(capacity)),
            Elem::I32 => Values::I32(Vec::with_capacity(capacity)),
            Elem::I64 => Values::I64(Vec::with_capacity(capacity)),
            Elem::F32 => Values::F32(Vec::with_capacity(capacity)),
            Elem::F64 => Values::F64(Vec::with_capacity(capacity)),
            Elem::C32 => Values::C32(Vec::with_capacity(capacity * 2)),
            Elem::C64 => Values::C64(Vec::with_capacity(capacity * 2)),
        };
        Leaf {
            values,
            nulls: NullBufferBuilder::new(capacity),
        }
    }

    pub(crate) fn utf8(capacity: usize) -> Leaf {
        let mut offsets = Vec::with_capacity(capacity + 1);
        offsets.push(0);
        Leaf {
            values: Values::Utf8 {
                offsets,
                data: Vec::with_capacity(capacity * 8),
            },
            nulls: NullBufferBuilder::new(capacity),
        }
    }

    pub(crate) fn timestamp(capacity: usize) -> Leaf {
        Leaf {
            values: Values::Ts(Vec::with_capacity(capacity)),
            nulls: NullBufferBuilder::new(capacity),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.nulls.len()
    }

    /// Appends a null element (a placeholder value plus a cleared validity bit).
    pub(crate) fn push_null(&mut self) -> Result<()> {
        match &mut self.values {
            Values::Bool(b) => b.append(false),
            Values::U8(v) => v.push(0),
            Values::I16(v) => v.push(0),
            Values::I32(v) => v.push(0),
            Values::I64(v) => v.push(0),
            Values::F32(v) => v.push(0.0),
            Values::F64(v) => v.push(0.0),
            Values::C32(v) => v.extend_from_slice(&[0.0, 0.0]),
            Values::C64(v) => v.extend_from_slice(&[0.0, 0.0]),
            Values::Utf8 { offsets, data } => push_offset(offsets, data.len())?,
            Values::Ts(v) => v.push(0),
        }
        self.nulls.append_null();
        Ok(())
    }

    #[inline]
    pub(crate) fn push_bool(&mut self, v: bool) {
        if let Values::Bool(b) = &mut self.values {
            b.append(v);
            self.nulls.append_non_null();
        }
    }

    #[inline]
    pub(crate) fn push_i64(&mut self, v: i64) {
        // Callers have range-checked `v` against the column type.
        match &mut self.values {
            Values::U8(x) => x.push(v as u8),
            Values::I16(x) => x.push(v as i16),
            Values::I32(x) => x.push(v as i32),
            Values::I64(x) => x.push(v),
            Values::Ts(x) => x.push(v),
            _ => return,
        }
        self.nulls.append_non_null();
    }

    #[inline]
    pub(crate) fn push_f64(&mut self, v: f64) {
        match &mut self.values {
            Values::F32(x) => x.push(v as f32),
            Values::F64(x) => x.push(v),
            _ => return,
        }
        self.nulls.append_non_null();
    }

    #[inline]
    pub(crate) fn push_f32(&mut self, v: f32) {
        match &mut self.values {
            Values::F32(x) => x.push(v),
            Values::F64(x) => x.push(f64::from(v)),
            _ => return,
        }
        self.nulls.append_non_null();
    }

    #[inline]
    pub(crate) fn push_complex(&mut self, re: f64, im: f64) {
        match &mut self.values {
            Values::C32(x) => x.extend_from_slice(&[re as f32, im as f32]),
            Values::C64(x) => x.extend_from_slice(&[re, im]),
            _ => return,
        }
        self.nulls.append_non_null();
    }

    /// Appends a string already known to be valid UTF-8.
    #[inline]
    pub(crate) fn push_str(&mut self, s: &str) -> Result<()> {
        if let Values::Utf8 { offsets, data } = &mut self.values {
            data.extend_from_slice(s.as_bytes());
            push_offset(offsets, data.len())?;
            self.nulls.append_non_null();
        }
        Ok(())
    }

    /// Direct access to the string buffer, for decoders that transcode in place. The
    /// caller must append valid UTF-8 and then call [`Leaf::commit_str`].
    #[inline]
    pub(crate) fn str_data(&mut self) -> Option<&mut Vec<u8>> {
        match &mut self.values {
            Values::Utf8 { data, .. } => Some(data),
            _ => None,
        }
    }

    /// Closes a string written through [`Leaf::str_data`].
    #[inline]
    pub(crate) fn commit_str(&mut self) -> Result<()> {
        if let Values::Utf8 { offsets, data } = &mut self.values {
            push_offset(offsets, data.len())?;
            self.nulls.append_non_null();
        }
        Ok(())
    }

    fn finish(&mut self, data_type: &DataType) -> Result<ArrayRef> {
        let nulls = self.nulls.finish();
        Ok(match &mut self.values {
            Values::Bool(b) => Arc::new(BooleanArray::new(b.finish(), nulls)),
            Values::U8(v) => prim::<UInt8Type>(v, nulls),
            Values::I16(v) => prim::<Int16Type>(v, nulls),
            Values::I32(v) => prim::<Int32Type>(v, nulls),
            Values::I64(v) => prim::<Int64Type>(v, nulls),
            Values::F32(v) => prim::<Float32Type>(v, nulls),
            Values::F64(v) => prim::<Float64Type>(v, nulls),
            Values::C32(v) => {
                let child = prim::<Float32Type>(v, None);
                Arc::new(FixedSizeListArray::try_new(
                    item_field(DataType::Float32),
                    2,
                    child,
                    nulls,
                )?)
            }
            Values::C64(v) => {
                let child = prim::<Float64Type>(v, None);
                Arc::new(FixedSizeListArray::try_new(
                    item_field(DataType::Float64),
                    2,
                    child,
                    nulls,
                )?)
            }
            Values::Utf8 { offsets, data } => {
                let offs = std::mem::replace(offsets, vec![0]);
                let bytes = std::mem::take(data);
                Arc::new(StringArray::try_new(
                    OffsetBuffer::new(ScalarBuffer::from(offs)),
                    Buffer::from_vec(bytes),
                    nulls,
                )?)
            }
            Values::Ts(v) => {
                let arr = PrimitiveArray::<TimestampMicrosecondType>::new(
                    ScalarBuffer::from(std::mem::take(v)),
                    nulls,
                );
                match data_type {
                    DataType::Timestamp(_, tz) => Arc::new(arr.with_timezone_opt(tz.clone())),
                    _ => Arc::new(arr),
                }
            }
        })
    }
}

fn prim<T: ArrowPrimitiveType>(
    v: &mut Vec<T::Native>,
    nulls: Option<arrow_buffer::NullBuffer>,
) -> ArrayRef {
    Arc::new(PrimitiveArray::<T>::new(
        ScalarBuffer::from(std::mem::take(v)),
        nulls,
    ))
}

#[inline]
fn push_offset(offsets: &mut Vec<i32>, len: usize) -> Result<()> {
    let o = i32::try_from(len)
        .map_err(|_| Error::LimitExceeded("more than 2 GiB of string data in one batch".into()))?;
    offsets.push(o);
    Ok(())
}

/// The builder of one column.
#[derive(Debug)]
pub(crate) enum ColumnBuilder {
    Flat(Leaf),
    Fixed {
        n: usize,
        child: Leaf,
        nulls: NullBufferBuilder,
    },
    List {
        offsets: Vec<i32>,
        child: Leaf,
        nulls: NullBufferBuilder,
    },
}

impl ColumnBuilder {
    pub(crate) fn new(kind: &Kind, capacity: usize) -> ColumnBuilder {
        match kind {
            Kind::Scalar(e) => ColumnBuilder::Flat(Leaf::for_elem(*e, capacity)),
            Kind::Str { .. } => ColumnBuilder::Flat(Leaf::utf8(capacity)),
            Kind::Timestamp { .. } => ColumnBuilder::Flat(Leaf::timestamp(capacity)),
            Kind::FixedArray { elem, n } => ColumnBuilder::Fixed {
                n: *n,
                // Bound the up-front reservation: n comes from the document.
                child: Leaf::for_elem(*elem, capacity.saturating_mul(*n).min(1 << 20)),
                nulls: NullBufferBuilder::new(capacity),
            },
            Kind::VarArray { elem, .. } => ColumnBuilder::List {
                offsets: offsets_with_zero(capacity),
                child: Leaf::for_elem(*elem, capacity),
                nulls: NullBufferBuilder::new(capacity),
            },
            Kind::StrArray { .. } => ColumnBuilder::List {
                offsets: offsets_with_zero(capacity),
                child: Leaf::utf8(capacity),
                nulls: NullBufferBuilder::new(capacity),
            },
        }
    }

    /// The leaf receiving values: the column itself, or the list child.
    #[inline]
    pub(crate) fn leaf(&mut self) -> &mut Leaf {
        match self {
            ColumnBuilder::Flat(l) => l,
            ColumnBuilder::Fixed { child, .. } | ColumnBuilder::List { child, .. } => child,
        }
    }

    /// Appends a null cell.
    pub(crate) fn push_null(&mut self) -> Result<()> {
        match self {
            ColumnBuilder::Flat(l) => l.push_null(),
            ColumnBuilder::Fixed { n, child, nulls } => {
                for _ in 0..*n {
                    child.push_null()?;
                }
                nulls.append_null();
                Ok(())
            }
            ColumnBuilder::List {
                offsets,
                child,
                nulls,
            } => {
                push_offset(offsets, child.len())?;
                nulls.append_null();
                Ok(())
            }
        }
    }

    /// Closes a list cell whose elements were pushed to [`ColumnBuilder::leaf`].
    /// For fixed-size lists, `pushed` must equal the size (checked by the caller).
    #[inline]
    pub(crate) fn close_list(&mut self) -> Result<()> {
        match self {
            ColumnBuilder::Flat(_) => Ok(()),
            ColumnBuilder::Fixed { nulls, .. } => {
                nulls.append_non_null();
                Ok(())
            }
            ColumnBuilder::List {
                offsets,
                child,
                nulls,
            } => {
                push_offset(offsets, child.len())?;
                nulls.append_non_null();
                Ok(())
            }
        }
    }

    /// Builds the array of the rows appended so far and resets the builder.
    pub(crate) fn finish(&mut self, field: &FieldRef) -> Result<ArrayRef> {
        match self {
            ColumnBuilder::Flat(l) => l.finish(field.data_type()),
            ColumnBuilder::Fixed { n, child, nulls } => {
                let (item, _) = list_item(field)?;
                let values = child.finish(item.data_type())?;
                let size = i32::try_from(*n)
                    .map_err(|_| Error::LimitExceeded("fixed array too large".into()))?;
                Ok(Arc::new(FixedSizeListArray::try_new(
                    item,
                    size,
                    values,
                    nulls.finish(),
                )?))
            }
            ColumnBuilder::List {
                offsets,
                child,
                nulls,
            } => {
                let (item, _) = list_item(field)?;
                let values = child.finish(item.data_type())?;
                let offs = std::mem::replace(offsets, vec![0]);
                Ok(Arc::new(ListArray::try_new(
                    item,
                    OffsetBuffer::new(ScalarBuffer::from(offs)),
                    values,
                    nulls.finish(),
                )?))
            }
        }
    }
}

fn offsets_with_zero(capacity: usize) -> Vec<i32> {
    let mut v = Vec::with_capacity(capacity + 1);
    v.push(0);
    v
}

fn list_item(field: &FieldRef) -> Result<(FieldRef, ())> {
    match field.data_type() {
        DataType::List(item) | DataType::FixedSizeList(item, _) => Ok((Arc::clone(item), ())),
        other => Err(Error::Arrow(arrow_schema::ArrowError::SchemaError(
            format!("expected a list type, found {other}"),
        ))),
    }
}
