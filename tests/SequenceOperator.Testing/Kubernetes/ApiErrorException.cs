using System.Text.Json.Nodes;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>A request the double refuses, with the Status the real server would answer.</summary>
public sealed class ApiErrorException : Exception
{
    public ApiErrorException()
        : this(500, "InternalError", "internal error")
    {
    }

    public ApiErrorException(string message)
        : this(500, "InternalError", message)
    {
    }

    public ApiErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = 500;
        Reason = "InternalError";
    }

    public ApiErrorException(int code, string reason, string message, JsonObject? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public int Code { get; }

    public string Reason { get; }

    public JsonObject? Details { get; }

    /// <summary>Extra top-level Status metadata (e.g. an inconsistent <c>continue</c> token).</summary>
    public JsonObject? Metadata { get; init; }

    public JsonObject ToStatus() => Statuses.Failure(
        Code,
        Reason,
        Message,
        Details?.DeepClone().AsObject(),
        Metadata?.DeepClone().AsObject());
}

/// <summary>Builds <c>meta/v1</c> Status objects and the errors the real server answers.</summary>
public static class Statuses
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details = null, JsonObject? metadata = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata ?? new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null)
        {
            status["details"] = details;
        }

        status["code"] = code;
        return status;
    }

    public static JsonObject Details(ApiResourceDefinition resource, string? name)
    {
        var details = new JsonObject();
        if (name is not null)
        {
            details["name"] = name;
        }

        if (resource.Group.Length > 0)
        {
            details["group"] = resource.Group;
        }

        details["kind"] = resource.Plural;
        return details;
    }

    public static ApiErrorException NotFound(ApiResourceDefinition resource, string name) =>
        new(404, "NotFound", $"{resource.QualifiedPlural} \"{name}\" not found", Details(resource, name));

    public static ApiErrorException AlreadyExists(ApiResourceDefinition resource, string name) =>
        new(409, "AlreadyExists", $"{resource.QualifiedPlural} \"{name}\" already exists", Details(resource, name));

    public static ApiErrorException Conflict(ApiResourceDefinition resource, string name, string? detail = null) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {resource.QualifiedPlural} \"{name}\": "
            + (detail ?? "the object has been modified; please apply your changes to the latest version and try again"),
            Details(resource, name));

    public static ApiErrorException Invalid(
        ApiResourceDefinition resource,
        string name,
        IReadOnlyList<(string Field, string Message)> causes)
    {
        var details = Details(resource, name);
        details["kind"] = resource.Kind;
        var array = new JsonArray();
        foreach (var (field, message) in causes)
        {
            array.Add(new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = message, ["field"] = field });
        }

        details["causes"] = array;
        var text = string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"));
        return new ApiErrorException(422, "Invalid", $"{resource.Kind} \"{name}\" is invalid: {text}", details);
    }

    public static ApiErrorException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiErrorException Expired(string message) => new(410, "Expired", message);
}
