/**
 * The 80 COCO object categories and the words captions use for them, so that a caption can be read
 * as the set of COCO objects it names. The object-hallucination metrics (CHAIR, in
 * src/training/metrics/chair.ts) are built on it, and the caption pipeline can reuse it later (the
 * default encoder's `objects` output scores the same 80 categories).
 *
 * The idea follows Rohrbach et al. (2018), "Object Hallucination in Image Captioning" (EMNLP), whose
 * CHAIR metric maps caption words to COCO categories through a hand-made synonym list; this list is
 * our own, written for the words COCO and Flickr8k captions actually use. How a caption is read:
 *  - The caller gives lowercase word tokens (src/training/metrics/tokenize.ts); hyphenated tokens
 *    are split here ("hot-dog" -> "hot dog", "double-decker" -> "double decker").
 *  - Every synonym also matches its plural, made by English rules plus irregulars (man -> men,
 *    child -> children, knife -> knives, mouse -> mice, bus -> buses); a phrase's last word is the
 *    one made plural ("cell phones", "wine glasses").
 *  - Phrases are matched before single words, longest first, left to right, and the words of a
 *    match are used up: "hot dog" is a hot dog and not a dog, "teddy bear" not a bear, "pit bull"
 *    a dog and not a cow, "toilet seat" a toilet and not a chair, "bus driver" a person and not a bus.
 *  - Some phrases name no COCO object although one of their words alone would ("ski slope", "bus
 *    stop", "telephone pole", "baseball game", "flower bed"): they match and name nothing.
 *  - "baby", "adult" or "mother" right before an animal word is that animal, not a person
 *    ("a baby elephant" names one elephant).
 *  - "orange" is the fruit only when nothing or a function word follows it ("an orange on a
 *    plate", "two oranges"); "an orange shirt" and "an orange and white cat" name no orange.
 * Known limits: words are not tagged for part of speech (a verb "ties" counts as a tie), and words
 * outside the list (e.g. "pastry") are not objects even when COCO would label them.
 */

export const COCO_OBJECTS = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
] as const; // prettier-ignore

/** One of the 80 COCO categories, by its COCO name. */
export type CocoObject = (typeof COCO_OBJECTS)[number];

/** The words (singular; plurals are derived) that name each category in a caption. */
export const COCO_SYNONYMS: Readonly<Record<CocoObject, readonly string[]>> = {
  person: [
    'person',
    'people',
    'man',
    'woman',
    'boy',
    'girl',
    'child',
    'kid',
    'baby',
    'toddler',
    'infant',
    'adult',
    'teen',
    'teenager',
    'youngster',
    'lady',
    'guy',
    'gentleman',
    'male',
    'female',
    'someone',
    'somebody',
    'individual',
    'crowd',
    'audience',
    'team',
    'player',
    'athlete',
    'skier',
    'surfer',
    'snowboarder',
    'skateboarder',
    'skater',
    'rider',
    'biker',
    'cyclist',
    'bicyclist',
    'motorcyclist',
    'driver',
    'passenger',
    'pedestrian',
    'walker',
    'runner',
    'jogger',
    'hiker',
    'climber',
    'swimmer',
    'diver',
    'dancer',
    'performer',
    'musician',
    'guitarist',
    'drummer',
    'singer',
    'clown',
    'batter',
    'catcher',
    'umpire',
    'referee',
    'goalie',
    'chef',
    'baker',
    'waiter',
    'waitress',
    'worker',
    'officer',
    'policeman',
    'policewoman',
    'cop',
    'soldier',
    'fireman',
    'firefighter',
    'cowboy',
    'cowgirl',
    'bride',
    'groom',
    'mother',
    'father',
    'mom',
    'dad',
    'parent',
    'son',
    'daughter',
    'sister',
    'brother',
    'husband',
    'wife',
    'grandmother',
    'grandfather',
    'friend',
    'student',
    'teacher',
    'doctor',
    'nurse',
    'tourist',
    'traveler',
    'spectator',
    'shopper',
    'vendor',
    'customer',
    'farmer',
    'fisherman',
    'photographer',
    'family',
    'human',
  ],
  bicycle: ['bicycle', 'bike', 'tricycle', 'unicycle', 'mountain bike'],
  car: ['car', 'automobile', 'van', 'minivan', 'sedan', 'suv', 'jeep', 'taxi', 'cab', 'taxicab', 'limo', 'limousine', 'police car'],
  motorcycle: ['motorcycle', 'motorbike', 'motor bike', 'motor cycle', 'dirt bike', 'moped', 'motor scooter'],
  airplane: [
    'airplane',
    'aeroplane',
    'plane',
    'jet',
    'jetliner',
    'airliner',
    'aircraft',
    'air plane',
    'biplane',
    'seaplane',
    'passenger jet',
    'passenger plane',
  ],
  bus: ['bus', 'busses', 'double decker', 'trolley bus'],
  train: [
    'train',
    'locomotive',
    'tram',
    'trolley',
    'streetcar',
    'subway',
    'train car',
    'subway car',
    'railcar',
    'cable car',
    'passenger train',
  ],
  truck: ['truck', 'pickup', 'pickup truck', 'lorry', 'firetruck', 'fire truck', 'fire engine', 'semi', 'semi truck'],
  boat: [
    'boat',
    'ship',
    'sailboat',
    'yacht',
    'canoe',
    'kayak',
    'ferry',
    'motorboat',
    'speedboat',
    'rowboat',
    'tugboat',
    'barge',
    'vessel',
    'raft',
    'gondola',
    'catamaran',
    'dinghy',
    'row boat',
    'sail boat',
    'jet ski',
  ],
  'traffic light': ['traffic light', 'traffic signal', 'stop light', 'stoplight', 'stoplights'],
  'fire hydrant': ['fire hydrant', 'hydrant'],
  'stop sign': ['stop sign'],
  'parking meter': ['parking meter', 'meter'],
  bench: ['bench', 'pew', 'park bench'],
  bird: [
    'bird',
    'pigeon',
    'seagull',
    'gull',
    'duck',
    'duckling',
    'goose',
    'swan',
    'parrot',
    'owl',
    'eagle',
    'hawk',
    'crow',
    'raven',
    'sparrow',
    'pelican',
    'flamingo',
    'heron',
    'chicken',
    'rooster',
    'hen',
    'turkey',
    'ostrich',
    'peacock',
    'penguin',
    'finch',
    'robin',
    'hummingbird',
    'woodpecker',
    'dove',
    'egret',
    'mallard',
    'cockatoo',
    'macaw',
    'vulture',
    'parakeet',
    'songbird',
    'waterfowl',
    'bluebird',
    'blue jay',
  ],
  cat: ['cat', 'kitten', 'kitty', 'feline', 'tabby'],
  dog: [
    'dog',
    'puppy',
    'pup',
    'doggy',
    'doggie',
    'canine',
    'hound',
    'terrier',
    'poodle',
    'retriever',
    'labrador',
    'collie',
    'beagle',
    'bulldog',
    'pug',
    'dachshund',
    'chihuahua',
    'greyhound',
    'husky',
    'spaniel',
    'dalmatian',
    'rottweiler',
    'doberman',
    'pitbull',
    'pit bull',
    'mutt',
    'schnauzer',
    'corgi',
    'mastiff',
    'sheepdog',
    'sheep dog',
    'german shepherd',
    'bull terrier',
  ],
  horse: ['horse', 'pony', 'foal', 'colt', 'stallion', 'mare', 'bronco', 'racehorse', 'race horse'],
  sheep: ['sheep', 'lamb', 'ram', 'ewe', 'goat'],
  cow: ['cow', 'cattle', 'calf', 'bull', 'ox', 'heifer', 'buffalo', 'bison', 'longhorn', 'yak'],
  elephant: ['elephant'],
  bear: ['bear', 'grizzly', 'polar bear', 'black bear', 'brown bear'],
  zebra: ['zebra'],
  giraffe: ['giraffe'],
  backpack: ['backpack', 'knapsack', 'rucksack', 'back pack'],
  umbrella: ['umbrella', 'parasol'],
  handbag: ['handbag', 'hand bag', 'purse', 'pocketbook', 'briefcase'],
  tie: ['tie', 'necktie', 'bow tie', 'bowtie'],
  suitcase: ['suitcase', 'suit case', 'luggage'],
  frisbee: ['frisbee', 'flying disc'],
  skis: ['skis', 'ski', 'water ski'],
  snowboard: ['snowboard', 'snow board'],
  'sports ball': [
    'ball',
    'soccer ball',
    'football',
    'basketball',
    'baseball',
    'softball',
    'volleyball',
    'tennis ball',
    'beach ball',
    'golf ball',
    'rugby ball',
  ],
  kite: ['kite'],
  'baseball bat': ['baseball bat', 'bat'],
  'baseball glove': ['baseball glove', 'baseball mitt', 'mitt'],
  skateboard: ['skateboard', 'skate board'],
  surfboard: ['surfboard', 'surf board', 'boogie board', 'bodyboard', 'body board', 'paddle board', 'paddleboard'],
  'tennis racket': ['tennis racket', 'tennis racquet', 'racket', 'racquet'],
  bottle: ['bottle'],
  'wine glass': ['wine glass', 'wineglass', 'champagne glass', 'glass of wine'],
  cup: ['cup', 'mug', 'teacup', 'coffee cup'],
  fork: ['fork'],
  knife: ['knife'],
  spoon: ['spoon'],
  bowl: ['bowl'],
  banana: ['banana'],
  apple: ['apple'],
  sandwich: ['sandwich', 'burger', 'hamburger', 'cheeseburger', 'panini', 'hoagie'],
  orange: ['orange'],
  broccoli: ['broccoli'],
  carrot: ['carrot'],
  'hot dog': ['hot dog', 'hotdog', 'frankfurter', 'chili dog', 'corn dog'],
  pizza: ['pizza'],
  donut: ['donut', 'doughnut'],
  cake: ['cake', 'cupcake', 'cup cake', 'cheesecake'],
  chair: ['chair', 'seat', 'stool', 'armchair', 'high chair'],
  couch: ['couch', 'sofa', 'loveseat', 'love seat', 'futon', 'settee'],
  'potted plant': ['potted plant', 'plant', 'houseplant', 'house plant', 'flower pot', 'flowerpot', 'planter'],
  bed: ['bed'],
  'dining table': ['dining table', 'table', 'desk'],
  toilet: ['toilet', 'urinal', 'commode', 'toilet seat', 'toilet bowl'],
  tv: ['tv', 'television', 'telly', 'monitor', 'flat screen', 'flatscreen', 'computer monitor', 'computer screen'],
  laptop: ['laptop', 'computer', 'netbook', 'macbook', 'laptop computer'],
  mouse: ['mouse', 'computer mouse'],
  remote: ['remote', 'remote control', 'controller'],
  keyboard: ['keyboard', 'computer keyboard'],
  'cell phone': ['cell phone', 'cellphone', 'phone', 'smartphone', 'mobile phone', 'iphone', 'telephone'],
  microwave: ['microwave', 'microwave oven'],
  oven: ['oven', 'stove', 'stovetop', 'stove top'],
  toaster: ['toaster', 'toaster oven'],
  sink: ['sink'],
  refrigerator: ['refrigerator', 'fridge', 'freezer'],
  book: ['book', 'novel', 'textbook'],
  clock: ['clock', 'alarm clock', 'clock tower'],
  vase: ['vase'],
  scissors: ['scissors', 'shears', 'pair of scissors'],
  'teddy bear': ['teddy bear', 'teddybear', 'teddy', 'stuffed animal', 'stuffed bear'],
  'hair drier': ['hair drier', 'hair dryer', 'hairdryer', 'blow dryer', 'blowdryer'],
  toothbrush: ['toothbrush', 'tooth brush'],
};

const SPORTS = ['baseball', 'football', 'soccer', 'basketball', 'softball', 'volleyball', 'tennis', 'rugby', 'golf'];
/** What a sport's name is part of when it names no ball ("a baseball game"); "<sport> player" is a person. */
const SPORT_SETTINGS = ['game', 'field', 'court', 'diamond', 'uniform', 'cap', 'hat', 'helmet', 'team', 'stadium', 'match', 'practice'];

/** Phrases that contain a synonym but name something else: another category, or none (null). */
const PHRASES: Readonly<Record<string, CocoObject | null>> = {
  'bus driver': 'person', 'truck driver': 'person', 'taxi driver': 'person', 'train conductor': 'person',
  'car seat': null, 'back seat': null, 'front seat': null, 'bike seat': 'bicycle', 'bicycle seat': 'bicycle',
  'motorcycle seat': 'motorcycle', 'bus stop': null, 'bus station': null, 'ski slope': null, 'ski lift': null,
  'ski resort': null, 'ski lodge': null, 'ski run': null, 'ski trail': null, 'ski area': null, 'telephone pole': null,
  'telephone wire': null, 'telephone line': null, 'phone booth': null, 'flower bed': null, 'river bed': null,
  'truck bed': 'truck', 'table tennis': null, 'pool table': null, 'toilet paper': null, 'tie dye': null,
  'cd player': null, 'dvd player': null, 'record player': null, 'world cup': null, 'super bowl': null,
  'apple logo': null, 'power plant': null, 'turkey sandwich': 'sandwich', 'rubber chicken': null, 'book bag': 'backpack', 'bull rider': 'person', 'hot dog stand': 'hot dog', 'glass of wine': 'wine glass',
  ...Object.fromEntries(SPORTS.map((s) => [`${s} player`, 'person'])),
  ...Object.fromEntries(SPORTS.flatMap((s) => SPORT_SETTINGS.map((w) => [`${s} ${w}`, null]))),
}; // prettier-ignore

/** Categories that "baby", "adult" or "mother" in front of do not make a person. */
const ANIMALS = new Set<CocoObject>(['bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe']);
const ANIMAL_MODIFIERS = new Set(['baby', 'babies', 'adult', 'adults', 'mother', 'mothers']);
/** Words after "orange" that keep it the fruit (anything else makes it a colour: "an orange shirt"). */
const FRUIT_FOLLOWERS = new Set(['and', 'or', 'on', 'in', 'with', 'next', 'is', 'are', 'sitting', 'slice', 'slices', 'half', 'halves']);
/** "orange and white", "orange or black": a colour after all. */
const COLOURS = new Set([
  'white',
  'black',
  'red',
  'blue',
  'green',
  'yellow',
  'brown',
  'pink',
  'purple',
  'grey',
  'gray',
  'tan',
  'silver',
  'gold',
]);

/** Whether the "orange" at word i is a colour: something other than a function word follows, or "and"/"or" and a colour. */
function orangeIsColour(words: readonly string[], i: number): boolean {
  const next = words[i + 1];
  if (next === undefined) return false;
  if (!FRUIT_FOLLOWERS.has(next)) return true;
  return (next === 'and' || next === 'or') && COLOURS.has(words[i + 2] ?? '');
}

const IRREGULAR: Readonly<Record<string, string>> = {
  person: 'people', child: 'children', mouse: 'mice', knife: 'knives', calf: 'calves', ox: 'oxen', goose: 'geese',
  sheep: 'sheep', cattle: 'cattle', people: 'people', skis: 'skis', scissors: 'scissors', shears: 'shears',
  broccoli: 'broccoli', luggage: 'luggage', waterfowl: 'waterfowl', bison: 'bison', buffalo: 'buffaloes',
}; // prettier-ignore

/** English plural of a noun from the lists above. */
export function pluralOf(word: string): string {
  const irregular = IRREGULAR[word];
  if (irregular) return irregular;
  if (/man$/.test(word) && word !== 'human') return `${word.slice(0, -3)}men`;
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** Plural of a phrase: its last word made plural. */
/** A phrase with its last word in the plural ("teddy bear" -> "teddy bears"). */
export function pluralPhrase(phrase: string): string {
  const ws = phrase.split(' ');
  ws[ws.length - 1] = pluralOf(ws[ws.length - 1]!);
  return ws.join(' ');
}

/** Every phrase (singular and plural) -> the category it names or null; built once. */
function buildLexicon(): Map<string, CocoObject | null> {
  const lexicon = new Map<string, CocoObject | null>();
  const add = (phrase: string, object: CocoObject | null) => {
    for (const p of [phrase, pluralPhrase(phrase)]) if (!lexicon.has(p)) lexicon.set(p, object);
  };
  // Exceptions first, so the plural of an exception wins over a synonym's plural that spells the same.
  for (const [phrase, object] of Object.entries(PHRASES)) add(phrase, object);
  for (const object of COCO_OBJECTS) for (const phrase of COCO_SYNONYMS[object]) add(phrase, object);
  return lexicon;
}

const LEXICON = buildLexicon();
const LONGEST = Math.max(...[...LEXICON.keys()].map((p) => p.split(' ').length));

/** One COCO object named in a caption: the category, the words that named it, and where they start. */
export interface ObjectMention {
  object: CocoObject;
  words: string;
  /** Index of the first word in the (hyphen-split) word list. */
  at: number;
}

/** The longest lexicon phrase starting at word i, if any. */
function phraseAt(words: readonly string[], i: number): { phrase: string; object: CocoObject | null; length: number } | undefined {
  for (let length = Math.min(LONGEST, words.length - i); length >= 1; length--) {
    const phrase = words.slice(i, i + length).join(' ');
    const object = LEXICON.get(phrase);
    if (object !== undefined) return { phrase, object, length };
  }
  return undefined;
}

/** The COCO objects a caption names, in order, one per mention (a category named twice appears twice). */
export function objectMentions(tokens: readonly string[]): ObjectMention[] {
  const words = tokens.flatMap((t) => t.split('-')).filter((w) => w.length > 0);
  const mentions: ObjectMention[] = [];
  for (let i = 0; i < words.length;) {
    const match = phraseAt(words, i);
    if (!match) {
      i++;
      continue;
    }
    const next = phraseAt(words, i + match.length);
    const animalModifier = ANIMAL_MODIFIERS.has(match.phrase) && next?.object != null && ANIMALS.has(next.object);
    const colour = match.phrase === 'orange' && orangeIsColour(words, i);
    if (match.object !== null && !animalModifier && !colour) mentions.push({ object: match.object, words: match.phrase, at: i });
    i += match.length;
  }
  return mentions;
}
