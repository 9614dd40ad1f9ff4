/** Shows an error once each time it changes (set during render: no extra effect pass). */
import { useState } from 'react';

export function useShowOnChange(error: string | null, show: (message: string) => void): void {
  const [shown, setShown] = useState<string | null>(null);
  if (error !== shown) {
    setShown(error);
    if (error) show(error);
  }
}
