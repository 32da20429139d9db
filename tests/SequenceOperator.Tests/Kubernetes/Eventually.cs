using System.Threading.Channels;

namespace SequenceOperator.Tests.Kubernetes;

/// <summary>Bounded waiting for asynchronous outcomes (never a timed speed assertion: only an upper bound against hangs).</summary>
internal static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    public static async Task WaitAsync(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? Limit);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Timed out waiting for: " + what);
            }

            await Task.Delay(20);
        }
    }

    public static async Task<T> NextAsync<T>(ChannelReader<T> reader, TimeSpan? limit = null)
    {
        using var timeout = new CancellationTokenSource(limit ?? Limit);
        try
        {
            return await reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("Timed out waiting for the next item");
            throw;
        }
    }

    /// <summary>Everything that arrives within a quiet period (to check nothing more comes).</summary>
    public static async Task<List<T>> DrainAsync<T>(ChannelReader<T> reader, TimeSpan quiet)
    {
        var items = new List<T>();
        while (true)
        {
            using var timeout = new CancellationTokenSource(quiet);
            try
            {
                items.Add(await reader.ReadAsync(timeout.Token));
            }
            catch (OperationCanceledException)
            {
                return items;
            }
        }
    }
}
