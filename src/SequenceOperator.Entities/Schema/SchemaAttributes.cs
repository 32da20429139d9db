namespace SequenceOperator.Entities.Schema;

// Attributes that carry the OpenAPI constraints of the CRD schema on the C# types, so the types are the single source
// of the `sequence-operator crd` output. Plain descriptions use System.ComponentModel.DescriptionAttribute.

/// <summary>
/// The schema's <c>default</c>. For string and enum fields the text is the value itself; otherwise JSON (e.g. <c>5432</c>,
/// <c>{}</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SchemaDefaultAttribute(string value) : Attribute
{
    public string Value { get; } = value;
}

/// <summary>The schema's <c>minimum</c> (inclusive).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SchemaMinimumAttribute(long value) : Attribute
{
    public long Value { get; } = value;
}

/// <summary>The schema's <c>maximum</c> (inclusive).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SchemaMaximumAttribute(long value) : Attribute
{
    public long Value { get; } = value;
}

/// <summary>The schema's <c>pattern</c> (ECMA 262; anchor it with ^ and $).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SchemaPatternAttribute(string pattern) : Attribute
{
    public string Pattern { get; } = pattern;
}

/// <summary><c>minLength</c>/<c>maxLength</c> of a string (a negative value: not set).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SchemaLengthAttribute(int minLength, int maxLength) : Attribute
{
    public int MinLength { get; } = minLength;

    public int MaxLength { get; } = maxLength;
}

/// <summary><c>maxItems</c> of an array.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SchemaMaxItemsAttribute(int maxItems) : Attribute
{
    public int MaxItems { get; } = maxItems;
}

/// <summary>An <c>x-kubernetes-validations</c> CEL rule, evaluated with <c>self</c> bound to the annotated field (or type).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class, AllowMultiple = true)]
public sealed class SchemaValidationAttribute(string rule, string message) : Attribute
{
    public string Rule { get; } = rule;

    public string Message { get; } = message;

    /// <summary>
    /// The rule's <c>fieldPath</c> (such as <c>.interval</c>): where a failure is reported, relative to <c>self</c>
    /// (Kubernetes 1.28+).
    /// </summary>
    public string? FieldPath { get; init; }
}

/// <summary>An array that is a map keyed by the given item fields (<c>x-kubernetes-list-type: map</c>).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SchemaListMapKeysAttribute(params string[] keys) : Attribute
{
    public IReadOnlyList<string> Keys { get; } = keys;
}
