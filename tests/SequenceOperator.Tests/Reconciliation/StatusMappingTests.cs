using SequenceOperator.Entities;
using SequenceOperator.Postgres;
using SequenceOperator.Reconciliation;

namespace SequenceOperator.Tests.Reconciliation;

/// <summary>The API's copy of the engine's vocabulary (the Entities assembly cannot reference the engine) stays equal to it.</summary>
public sealed class StatusMappingTests
{
    [Fact]
    public void EveryEngineStatus_MapsToTheApiStatusOfTheSameName_AndTheApiHasNoOther()
    {
        foreach (var status in Enum.GetValues<SequenceStatus>())
        {
            Assert.Equal(status.ToString(), StatusMapping.ToApi(status).ToString());
        }

        Assert.Equal(Enum.GetNames<SequenceStatus>().Order(), Enum.GetNames<SequenceEntryStatus>().Order());
    }

    [Fact]
    public void CapacityWarningThreshold_IsTheSameInTheApiAndTheEngine() =>
        Assert.Equal(SequenceEntry.CapacityWarningThreshold, SequenceSyncPolicyStatus.CapacityWarningThreshold);
}
