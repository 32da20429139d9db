Console.WriteLine("SequenceOperator benchmarks: being built.");
