"""The dtypes under PyTorch's names: fastconv.float32, fastconv.long, fastconv.bool, ...

They are numpy's scalar types, so `t.dtype == fastconv.float32` holds for a float32
tensor, and every function taking `dtype=` accepts them (and numpy dtypes) alike. Like
torch's, some names (float, int, bool) shadow Python builtins inside the fastconv
namespace only.
"""
import numpy as np

float32 = float = np.float32
float64 = double = np.float64
float16 = half = np.float16
int64 = long = np.int64
int32 = int = np.int32
int16 = short = np.int16
int8 = np.int8
uint8 = np.uint8
bool = np.bool_
