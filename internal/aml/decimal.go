package aml

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/shopspring/decimal"
)

// Amounts reach rules as exact decimals, never as floating point: CEL has
// no decimal type, so rules get one of their own, "decimal", that compares
// with decimals and integers (tx.amount > 1000) and adds, subtracts,
// multiplies and divides exactly. dec("9999.99") writes a constant.

// decimalCEL is the type the checker knows; decimalRuntime is the same
// type at run time, carrying the traits CEL's operators dispatch on.
var (
	decimalCEL     = cel.OpaqueType("decimal")
	decimalRuntime = types.NewObjectType("decimal",
		traits.ComparerType, traits.AdderType, traits.SubtractorType, traits.MultiplierType,
		traits.DividerType, traits.NegatorType)
)

// divisionPlaces is how many decimal places a quotient keeps.
const divisionPlaces = 8

// celDecimal is a decimal value in CEL. Most decimals are amounts of at
// most four places: units holds them as integers of 1/10,000 too, so that
// comparing with an integer (tx.amount > 1000) needs no arithmetic on big
// numbers.
type celDecimal struct {
	d     decimal.Decimal
	units int64
	exact bool // units is d exactly
}

// maxUnits bounds units so that an integer times 10,000 cannot overflow.
const maxUnits = 1 << 60

func newDec(d decimal.Decimal) celDecimal {
	v := celDecimal{d: d}
	if d.Exponent() >= -4 {
		if u := d.Shift(4); u.IsInteger() {
			if n := u.IntPart(); n > -maxUnits && n < maxUnits {
				v.units, v.exact = n, true
			}
		}
	}
	return v
}

// toDecimal reads a decimal or an integer operand.
func toDecimal(v ref.Val) (decimal.Decimal, bool) {
	switch x := v.(type) {
	case celDecimal:
		return x.d, true
	case types.Int:
		return decimal.NewFromInt(int64(x)), true
	}
	return decimal.Decimal{}, false
}

func (v celDecimal) ConvertToNative(t reflect.Type) (any, error) {
	switch t {
	case reflect.TypeOf(decimal.Decimal{}):
		return v.d, nil
	case reflect.TypeOf(""):
		return v.d.String(), nil
	}
	return nil, fmt.Errorf("a decimal cannot become %v", t)
}

func (v celDecimal) ConvertToType(t ref.Type) ref.Val {
	switch t.TypeName() {
	case types.StringType.TypeName():
		return types.String(v.d.String())
	case types.TypeType.TypeName():
		return decimalRuntime
	case decimalRuntime.TypeName():
		return v
	}
	return types.NewErr("a decimal cannot become %s", t.TypeName())
}

func (v celDecimal) Equal(other ref.Val) ref.Val {
	o, ok := toDecimal(other)
	return types.Bool(ok && v.d.Equal(o))
}

func (v celDecimal) Type() ref.Type { return decimalRuntime }

func (v celDecimal) Value() any { return v.d }

// Compare implements traits.Comparer.
func (v celDecimal) Compare(other ref.Val) ref.Val {
	if n, ok := other.(types.Int); ok && v.exact && n > -maxUnits/unitScale && n < maxUnits/unitScale {
		o := int64(n) * unitScale
		switch {
		case v.units < o:
			return types.IntNegOne
		case v.units > o:
			return types.IntOne
		}
		return types.IntZero
	}
	if o, ok := other.(celDecimal); ok && v.exact && o.exact {
		switch {
		case v.units < o.units:
			return types.IntNegOne
		case v.units > o.units:
			return types.IntOne
		}
		return types.IntZero
	}
	o, ok := toDecimal(other)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Int(v.d.Cmp(o))
}

// Add implements traits.Adder.
func (v celDecimal) Add(other ref.Val) ref.Val {
	o, ok := toDecimal(other)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return newDec(v.d.Add(o))
}

// Subtract implements traits.Subtractor.
func (v celDecimal) Subtract(other ref.Val) ref.Val {
	o, ok := toDecimal(other)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return newDec(v.d.Sub(o))
}

// Multiply implements traits.Multiplier.
func (v celDecimal) Multiply(other ref.Val) ref.Val {
	o, ok := toDecimal(other)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return newDec(v.d.Mul(o))
}

// Divide implements traits.Divider.
func (v celDecimal) Divide(other ref.Val) ref.Val {
	o, ok := toDecimal(other)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	if o.IsZero() {
		return types.NewErr("division by zero")
	}
	return newDec(v.d.DivRound(o, divisionPlaces))
}

// Negate implements traits.Negater.
func (v celDecimal) Negate() ref.Val { return newDec(v.d.Neg()) }

// decimalDecls declares the decimal type's constructors, operators and
// helpers. Operators only declare the decimal overloads: CEL's own
// trait-based implementations run them. A decimal is always the left
// operand, so 1000 < tx.amount is written tx.amount > 1000.
func decimalDecls() []cel.EnvOption {
	d, i, b := decimalCEL, cel.IntType, cel.BoolType
	var opts []cel.EnvOption
	for _, op := range []struct{ fn, id string }{
		{"_<_", "less"}, {"_<=_", "less_equals"}, {"_>_", "greater"}, {"_>=_", "greater_equals"},
	} {
		opts = append(opts, cel.Function(op.fn,
			cel.Overload(op.id+"_decimal_decimal", []*cel.Type{d, d}, b),
			cel.Overload(op.id+"_decimal_int", []*cel.Type{d, i}, b)))
	}
	for _, op := range []struct{ fn, id string }{
		{"_+_", "add"}, {"_-_", "subtract"}, {"_*_", "multiply"}, {"_/_", "divide"},
	} {
		opts = append(opts, cel.Function(op.fn,
			cel.Overload(op.id+"_decimal_decimal", []*cel.Type{d, d}, d),
			cel.Overload(op.id+"_decimal_int", []*cel.Type{d, i}, d)))
	}
	opts = append(opts,
		cel.Function("-_", cel.Overload("negate_decimal", []*cel.Type{d}, d)),
		cel.Function("dec",
			cel.Overload("dec_string", []*cel.Type{cel.StringType}, d, cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, _ := v.(types.String)
				x, err := decimal.NewFromString(string(s))
				if err != nil {
					return types.NewErr("dec(%q) is not a decimal number", string(s))
				}
				return newDec(x)
			})),
			cel.Overload("dec_int", []*cel.Type{i}, d, cel.UnaryBinding(func(v ref.Val) ref.Val {
				n, _ := v.(types.Int)
				return newDec(decimal.NewFromInt(int64(n)))
			}))),
		cel.Function("is_multiple_of",
			cel.Overload("is_multiple_of_decimal_int", []*cel.Type{d, i}, b, cel.BinaryBinding(isMultipleOf)),
			cel.Overload("is_multiple_of_decimal_decimal", []*cel.Type{d, d}, b, cel.BinaryBinding(isMultipleOf))),
	)
	return opts
}

func isMultipleOf(a, b ref.Val) ref.Val {
	x, ok1 := toDecimal(a)
	unit, ok2 := toDecimal(b)
	if !ok1 || !ok2 {
		return types.MaybeNoSuchOverloadErr(b)
	}
	if unit.Sign() <= 0 {
		return types.NewErr("is_multiple_of needs a positive unit")
	}
	return types.Bool(x.Mod(unit).IsZero())
}
