import numpy as np

# LLMs sometimes write identifiers in other languages
preço = np.array([10.0, 10.5, 10.2, 10.8])
rendimento = np.diff(preço) / preço[:-1]
médio = rendimento.mean()
print(f"retorno médio: {médio:.4f}")
